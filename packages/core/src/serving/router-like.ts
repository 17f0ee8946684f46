import type { ModelConfig } from '../config/schema.js';
import type { AgentContext } from '../context/agent-context.js';
import type { SpendReport } from '../learning/escalation-spend.js';
import type { Feedback, Outcome } from '../learning/outcome.js';
import type { QualityStat } from '../learning/quality-stat.js';
import type { RouteQuery, RouteSummary } from '../routing/route-log.js';
import type { FeedbackTarget } from '../routing/router.js';
import type { RouteAttempt, RouteDecision, RouteExplanation, RouteRequest } from '../routing/types.js';

/**
 * The slice of the Router the gateway uses. Written as an interface so the gateway can be tested
 * with a trivial router and so a custom router can be plugged in; the real `Router` satisfies it.
 */
export interface RouterLike {
  /** Synchronous on purpose: routing reads in-memory state only. Throws BrokeError (404/429/503). */
  route(req: RouteRequest, ctx?: AgentContext): RouteDecision;
  recordOutcome(routeId: string, outcome: Outcome): Promise<void>;
  /** Unknown route id → BrokeError with status 404 (`route_not_found`). */
  feedback(routeId: string, feedback: Feedback): Promise<void>;
  /**
   * Feedback on a route or a selection (`{session, role?, last}`), once per `feedbackId`; resolves
   * to the route ids rated. Errors: 404 unknown route or empty selection, 409 repeated id.
   */
  rate(target: FeedbackTarget, feedback: Feedback, feedbackId?: string, viewer?: string): Promise<string[]>;
  /** A whole session's outcome: rated on its routes and credited to its hand-offs (optional). */
  rateSession?(session: string, feedback: Feedback, feedbackId?: string, viewer?: string): Promise<string[]>;
  /** Recent routes, newest first; `nextCursor` is the position to continue before. */
  listRoutes(query: RouteQuery): { data: RouteSummary[]; nextCursor?: number };
  /** `viewer` (a key digest, when keys are configured): only routes that caller made. */
  explain(
    routeId: string,
    viewer?: string,
  ): RouteExplanation | undefined | Promise<RouteExplanation | undefined>;
  /** A route another replica (or an earlier run) made, from the shared outcome log (optional). */
  recoverExplanation?(routeId: string, viewer?: string): Promise<RouteExplanation | undefined>;
  noteAttempt(routeId: string, attempt: RouteAttempt): void;
  listModels(): { virtual: string[]; concrete: ModelConfig[] };
  /** Learned statistics, for GET /v1/status's quality summary (optional for custom routers). */
  stats?(): Iterable<QualityStat>;
  /** Escalation spend per team today, for GET /v1/status (undefined without escalation nodes). */
  escalationSpend?(): SpendReport | undefined;
}
