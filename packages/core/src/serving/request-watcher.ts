import type { AgentContext } from '../context/agent-context.js';
import type { RouteDecision } from '../routing/types.js';
import type { ServingBody } from './chat-body.js';
import type { AttemptWatcher } from './dispatch.js';
import {
  notifyObservers,
  type RequestEnd,
  type RequestFacts,
  type RequestObserver,
  requestEnd,
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

/** The request ended (for streams: the last byte went out, or it failed): one set of facts for all. */
export function endRequest(to: EndListeners, watcher: RequestWatcher | undefined, facts: RequestFacts): void {
  watcher?.end(requestEnd(facts));
  if (to.observers) notifyObservers(to.observers, facts);
}
