import type { AgentContext } from '../context/agent-context.js';
import { BrokeError } from '../errors.js';
import type { Candidate, RouteDecision } from '../routing/types.js';
import type { ChatMessage } from '../spec/index.js';

/**
 * What the gateway knows about a chat request when it ends (for streams: when the last byte went
 * out). Every observer (request log, metrics, ...) reads these same facts: one path.
 */
export interface RequestFacts {
  /** performance.now() when the request arrived. */
  t0: number;
  stream: boolean;
  ctx?: AgentContext;
  decision?: RouteDecision;
  /** The node × model that answered (undefined when none did). */
  candidate?: Candidate;
  /** How it ended: `ok`, `error`, or `client_closed` (the client left mid-stream). */
  outcome: 'ok' | 'error' | 'client_closed';
  /** The status the client saw; default 200 without an error, the error's status with one. */
  status?: number;
  /** Completion tokens. */
  tokens?: number;
  promptTokens?: number;
  /** Time to the node's first token (non-streaming: to the whole answer), without queue waits. */
  ttftMs?: number;
  /** Time router.route() took. */
  routeMs?: number;
  /** The request's messages (only observers asked to log prompts read them). */
  messages?: readonly ChatMessage[];
  /** Who asked: the digest of the caller's API key, when keys are configured. */
  client?: string;
  /** The answer's text, only when ServingDeps.capture wanted this request (ok outcomes). */
  response?: string;
  error?: unknown;
}

/** The facts with what every observer needs worked out once. */
export interface RequestEnd extends RequestFacts {
  /** Milliseconds since the request arrived. */
  ms: number;
  status: number;
}

export type RequestObserver = (end: RequestEnd) => void;

/** The HTTP status an error is answered with (what the client saw). */
export function statusOfError(err: unknown): number {
  return err instanceof BrokeError ? err.status : 500;
}

/** The error's stable class for metrics and logs: a BrokeError's code, else `internal`. */
export function errorClass(err: unknown): string {
  return err instanceof BrokeError ? err.code : 'internal';
}

export function requestEnd(facts: RequestFacts): RequestEnd {
  return {
    ...facts,
    ms: performance.now() - facts.t0,
    status: facts.status ?? (facts.error === undefined ? 200 : statusOfError(facts.error)),
  };
}

/** Tells every observer; a broken observer must not fail the request or silence the others. */
export function notifyObservers(observers: readonly RequestObserver[], facts: RequestFacts): void {
  if (observers.length === 0) return;
  tellObservers(observers, requestEnd(facts));
}

/** The same, with the end already worked out. */
export function tellObservers(observers: readonly RequestObserver[], end: RequestEnd): void {
  for (const observer of observers) {
    try {
      observer(end);
    } catch {
      // an observer's failure is its own
    }
  }
}

const NO_FAILOVERS: readonly string[] = [];

/** Nodes that failed the request before another was tried (from the route's attempts), in order. */
export function failovers(decision: RouteDecision | undefined): readonly string[] {
  const attempts = decision?.explanation?.attempts;
  // Most requests: no failover, and no array made for it.
  if (!attempts || attempts.length < 2) return NO_FAILOVERS;
  const out: string[] = [];
  for (let i = 0; i < attempts.length - 1; i++) {
    const attempt = attempts[i];
    if (attempt && !attempt.ok) out.push(attempt.nodeId);
  }
  return out;
}
