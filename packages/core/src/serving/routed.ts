import type { AgentContext } from '../context/agent-context.js';
import type { RouteDecision } from '../routing/types.js';
import type { ChatMessage } from '../spec/index.js';

/** A routed request on its way: when it started, who asked, where it goes (what observers see). */
export interface Routed {
  t0: number;
  ctx: AgentContext;
  decision: RouteDecision;
  routeMs: number;
  messages: readonly ChatMessage[];
  client?: string;
  /** The answer's text is wanted (ServingDeps.capture said so for this request's context). */
  capture?: boolean;
}
