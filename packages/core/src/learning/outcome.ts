import type { ComplexityBand } from '../analysis/complexity.js';
import type { TaskType } from '../context/agent-context.js';

/** How a served request went, as the gateway reports it after the response. */
export interface Outcome {
  success: boolean;
  latencyMs?: number;
  ttftMs?: number;
  /** Completion tokens generated. */
  tokens?: number;
  promptTokens?: number;
  /** Quality 0..1, when someone judged it. */
  score?: number;
  error?: string;
}

/** A judgement of a past route, sent later by a person or an evaluator. */
export interface Feedback {
  /** 0..1, or thumbs. */
  score?: number;
  thumbs?: 'up' | 'down';
  success?: boolean;
}

/** One recorded outcome or feedback, as appended to the log. */
export interface OutcomeRecord {
  routeId: string;
  kind: 'outcome' | 'feedback';
  at: number;
  team: string;
  role: string;
  taskType: TaskType;
  nodeId: string;
  modelId: string;
  /** Difficulty band of the prompt (absent in records written before bands existed). */
  band?: ComplexityBand;
  success: boolean;
  /** Reward folded into the statistics (0..1). */
  reward: number;
  latencyMs?: number;
  ttftMs?: number;
  tokens?: number;
  error?: string;
  /** Who made the route, when API keys are configured (a key digest; see RouteRequest.owner). */
  owner?: string;
}
