import { BrokeError, NodeError } from '../errors.js';

/** Why an attempt on a node failed, and whether the next candidate should be tried. */
export interface UpstreamFailure {
  error: BrokeError;
  /** Try the next candidate (node trouble) rather than answer now (the request itself is bad). */
  retry: boolean;
  /** Put the node in a short cooldown so the next routes avoid it while the monitor catches up. */
  cooldown: boolean;
}

function statusOf(err: unknown): number | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const s = (e as { status?: unknown }).status;
    if (typeof s === 'number') return s;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.slice(0, 300);
  return String(err).slice(0, 300);
}

export function classifyUpstreamError(nodeId: string, err: unknown, timedOut: boolean): UpstreamFailure {
  if (timedOut) {
    return {
      error: new NodeError(nodeId, `node ${nodeId} timed out`, { status: 504, code: 'node_timeout' }),
      retry: true,
      cooldown: true,
    };
  }
  // A driver that already speaks BrokeError decided the status itself (the mlx driver does).
  const status = err instanceof NodeError ? undefined : statusOf(err);
  if (status === 400 || status === 422) {
    // The node rejected the request itself: another node would too, so answer with its reason.
    return {
      error: new BrokeError('invalid_request', `node ${nodeId} rejected the request: ${messageOf(err)}`, {
        status: 400,
      }),
      retry: false,
      cooldown: false,
    };
  }
  if (status === 429 || status === 503) {
    return {
      error: new NodeError(nodeId, `node ${nodeId} is busy: ${messageOf(err)}`, {
        status: 503,
        code: 'node_busy',
      }),
      retry: true,
      cooldown: false,
    };
  }
  if (err instanceof NodeError) {
    return { error: err, retry: true, cooldown: err.status !== 400 };
  }
  if (status !== undefined) {
    return {
      error: new NodeError(nodeId, `node ${nodeId} answered ${status}: ${messageOf(err)}`, {
        status: 502,
        code: 'node_error',
      }),
      retry: true,
      cooldown: status >= 500,
    };
  }
  // No HTTP status at all: connection refused, reset, DNS... the node is unreachable.
  return {
    error: new NodeError(nodeId, `node ${nodeId} is unreachable: ${messageOf(err)}`, {
      status: 502,
      code: 'node_unreachable',
    }),
    retry: true,
    cooldown: true,
  };
}
