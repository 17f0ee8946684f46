import type { Capability, Objective } from '../config/schema.js';
import type { AgentContext, TaskType } from '../context/agent-context.js';
import type { QualityTemperature } from '../learning/quality-temperature.js';
import type { ChatMessage } from '../spec/index.js';

/** What the router needs to know about a request (not the whole body). */
export interface RouteRequest {
  messages: ChatMessage[];
  /** `broke-auto`, a profile (`broke-quality`, `broke-latency`...), or a concrete model id to pin. */
  model?: string;
  maxTokens?: number;
  /** Capabilities the request needs (e.g. `tools` when the body has tools, `json` for response_format). */
  requires?: Capability[];
  /**
   * Who may read and rate this route once API keys are configured (a digest of the caller's key);
   * undefined: anyone who can reach the gateway.
   */
  owner?: string;
}

/** One node × model pair under consideration. */
export interface Candidate {
  nodeId: string;
  modelId: string;
  /** Name to send in the request's `model` field on that node. */
  servedName: string;
}

export interface FilterVerdict {
  filter: string;
  removed: Array<Candidate & { reason: string }>;
}

/** A candidate as the decision saw it: its predictions and the objective's value. */
export interface ScoredCandidate extends Candidate {
  /** The objective's value (what the decision maximised). */
  total: number;
  /** Predicted quality 0..1 of this model for this prompt and agent. */
  quality: number;
  /** Predicted milliseconds to finish on this node now (wait + run). */
  timeMs: number;
  /** Each factor's term: quality points or milliseconds, with a reason. */
  terms: Record<string, { adds: 'quality' | 'time'; value: number; note?: string }>;
}

/** One call to a node for a route, as its explanation lists it (failovers first, the one that served last). */
export interface RouteAttempt {
  nodeId: string;
  modelId: string;
  ok: boolean;
  error?: string;
}

export interface RouteExplanation {
  routeId: string;
  at: string;
  context: AgentContext;
  analysis: { complexity: number; taskType: TaskType; promptTokens: number };
  profile: string;
  /** What the decision maximised (the profile's objective, with team/role overrides). */
  objective: Objective & { description: string; expectedOutputTokens: number; typicalMs: number };
  candidates: number;
  filters: FilterVerdict[];
  ranked: ScoredCandidate[];
  chosen: Candidate;
  explored: boolean;
  /** Failover attempts appended by the gateway as they happen. */
  attempts: RouteAttempt[];
  /** One sentence a person can read. */
  summary: string;
  /**
   * How far to trust the answer (learning/quality-temperature.ts `routeTemperature`); moves with
   * feedback, and one step warmer once a fallback served. Absent on a recovered route.
   */
  temperature?: QualityTemperature;
}

export interface RouteDecision extends Candidate {
  routeId: string;
  /** Next best candidates, in order, for failover. */
  fallbacks: Candidate[];
  explanation: RouteExplanation;
}
