import { BrokeError, NodeError } from '../errors.js';

/** Why an attempt on a node failed, and whether the next candidate should be tried. */
export interface UpstreamFailure {
  error: BrokeError;
  /** Try the next candidate (node trouble) rather than answer now (the request itself is bad). */
  retry: boolean;
  /** Put the node in a short cooldown so the next routes avoid it while the monitor catches up. */
  cooldown: boolean;
  /**
   * The node took the request and then failed on it (a 5xx, a dropped connection, an answer that
   * is not JSON): the request itself may be what broke it, so the node is cooled down only if it
   * then fails a health check too (see dispatch). False for timeouts and refused connections.
   */
  afterSend?: boolean;
}

/** Errors that mean the connection never opened: the node is down, whatever the request was. */
const CONNECT_FAILURE =
  /\b(?:ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|UND_ERR_CONNECT_TIMEOUT)\b/;

function connectFailed(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 6; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECT_FAILURE.test(code)) return true;
    if (e instanceof Error && CONNECT_FAILURE.test(e.message)) return true;
  }
  return false;
}

function statusOf(err: unknown): number | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const s = (e as { status?: unknown }).status;
    if (typeof s === 'number') return s;
  }
  return undefined;
}

/** File paths and network addresses in a node's error text say nothing a client needs. */
const PATHS = /(?:[A-Za-z]:)?(?:[\\/][^\s\\/'"`:]+){2,}[\\/]?/g;
const ADDRESSES = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b|\[[0-9a-fA-F:]+\](?::\d{1,5})?/g;

/** A node's error text as a client may see it: short, without the node's paths or addresses. */
export function publicText(text: string): string {
  return text.slice(0, 300).replace(PATHS, '<path>').replace(ADDRESSES, '<address>');
}

/** The driver's error with the message a client may see (no hint: it names the node's URL). */
function publicNodeError(err: NodeError): NodeError {
  return new NodeError(err.nodeId, publicText(err.message), {
    status: err.status,
    code: err.code,
    cause: err,
  });
}

function messageOf(err: unknown): string {
  return publicText(err instanceof Error ? err.message : String(err));
}

/** Node answers that blame the request, not the node: every node would answer the same. */
const REQUEST_FAULTS = new Set([400, 405, 409, 410, 411, 413, 414, 415, 416, 417, 422, 431]);

/**
 * Who is at fault decides what happens: the request's own faults (a body the gateway cannot send,
 * a node's 4xx about the request) are answered once with 400 and no node is cooled down; only node
 * faults (timeouts, 5xx, refused connections) move on to the next candidate and cool the node.
 */
export function classifyUpstreamError(nodeId: string, err: unknown, timedOut: boolean): UpstreamFailure {
  if (err instanceof BrokeError && !(err instanceof NodeError) && err.status < 500) {
    // The gateway refused to send it (e.g. a body it cannot serialise): the client's fault.
    return { error: err, retry: false, cooldown: false };
  }
  if (timedOut) {
    return {
      error: new NodeError(nodeId, `node ${nodeId} timed out`, { status: 504, code: 'node_timeout' }),
      retry: true,
      cooldown: true,
    };
  }
  // Drivers wrap node answers in a NodeError that keeps a 4xx status (5xx become 502).
  const status = statusOf(err);
  if (status !== undefined && REQUEST_FAULTS.has(status)) {
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
  if (status === 404) {
    // The model is not where the config says (a node fault, but not a dead node): try another,
    // without cooling this one for everyone else.
    const error =
      err instanceof NodeError
        ? publicNodeError(err)
        : new NodeError(nodeId, `node ${nodeId} answered 404: ${messageOf(err)}`, {
            status: 502,
            code: 'node_error',
          });
    return { error, retry: true, cooldown: false };
  }
  if (err instanceof NodeError)
    return {
      error: publicNodeError(err),
      retry: true,
      cooldown: true,
      afterSend: err.code !== 'node_timeout' && !connectFailed(err),
    };
  if (status !== undefined) {
    return {
      error: new NodeError(nodeId, `node ${nodeId} answered ${status}: ${messageOf(err)}`, {
        status: 502,
        code: 'node_error',
      }),
      retry: true,
      cooldown: status >= 500,
      afterSend: status >= 500,
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
    afterSend: !connectFailed(err),
  };
}
