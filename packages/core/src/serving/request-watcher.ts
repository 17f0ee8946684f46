import type { AgentContext } from '../context/agent-context.js';
import type { RouteDecision } from '../routing/types.js';
import { afterAnswer } from './after-answer.js';
import type { ServingBody } from './chat-body.js';
import type { AttemptWatcher } from './dispatch.js';
import {
  type RequestEnd,
  type RequestFacts,
  type RequestObserver,
  statusOfError,
  tellObservers,
} from './request-observer.js';

/**
 * Follows one request from its routing to its end (tracing: observability/request-trace.ts), and
 * each call to a node on the way (AttemptWatcher).
 */
export interface RequestWatcher extends AttemptWatcher {
  /** Routed between `r0` and `r1` (performance.now() times). */
  routed(body: ServingBody, ctx: AgentContext, decision: RouteDecision, r0: number, r1: number): void;
  end(end: RequestEnd): void;
}

/** Where a request's end is told: every observer, and its watcher. */
export interface EndListeners {
  observers?: readonly RequestObserver[] | undefined;
}

/**
 * The request ended (for streams: the last byte went out, or it failed): one set of facts for all,
 * told once the answer is out (after-answer.ts). `facts` becomes the RequestEnd the observers get
 * (a new object per call, never reused).
 */
export function endRequest(to: EndListeners, watcher: RequestWatcher | undefined, facts: RequestFacts): void {
  if (!watcher && (!to.observers || to.observers.length === 0)) return;
  // Worked out once for the watcher and every observer, on the facts object itself: callers hand
  // over a literal built for this call, and a copy per request is measurable on the hot path.
  const end = facts as RequestEnd;
  end.ms = performance.now() - facts.t0;
  end.status = facts.status ?? (facts.error === undefined ? 200 : statusOfError(facts.error));
  afterAnswer(() => {
    watcher?.end(end);
    if (to.observers) tellObservers(to.observers, end);
  });
}
