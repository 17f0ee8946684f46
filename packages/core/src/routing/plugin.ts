import type { PromptAnalysis } from '../analysis/analyze.js';
import type { ComplexityBand } from '../analysis/complexity.js';
import type { ClusterView, NodeState, PerfEstimate } from '../cluster/node-state.js';
import type { BrokeConfig, ModelConfig, NodeConfig, Objective, RoleRule } from '../config/schema.js';
import type { AgentContext } from '../context/agent-context.js';
import type { BrokeError } from '../errors.js';
import type { EscalationSpend } from '../learning/escalation-spend.js';
import type { HandOffs, Turn } from '../learning/hand-offs.js';
import type { LearnedQuality } from '../learning/learned-quality.js';
import type { Prng } from '../learning/prng.js';
import type { AffinityTarget } from '../learning/session-affinity.js';
import type { CandidateTable } from './candidate-table.js';
import type { LiveTable } from './live-table.js';
import type { RunInFlight } from './parallel-runs.js';
import type { PerfTable } from './perf-cache.js';
import type { Candidate, RouteRequest } from './types.js';

/** A candidate with the static data filters and factors need, computed once per config. */
export interface RouteCandidate extends Candidate {
  /** Position in the router's candidate table (stable while the config is). */
  readonly index: number;
  readonly nodeIndex: number;
  readonly modelIndex: number;
  readonly node: NodeConfig;
  readonly model: ModelConfig;
  /** small 0, medium 1, large 2. */
  readonly tierRank: number;
}

/** Everything one routing decision knows; built once per route and shared by all plugins. */
export interface RoutingContext {
  readonly request: RouteRequest;
  readonly agent: AgentContext;
  readonly analysis: PromptAnalysis;
  /** Difficulty band of the prompt (learned quality is kept per band). */
  readonly band: ComplexityBand;
  /** Profile whose objective decides. */
  readonly profile: string;
  /** What this route maximises (the profile's, with team/role overrides). */
  readonly objective: Objective;
  /** The cluster's typical request time (ms; 0 before the first route): the objective's unit of time. */
  readonly typicalMs: number;
  /** Concrete model id the request pinned, if any. */
  readonly pinnedModel: string | undefined;
  /** Role rules matching this request's team, role and task type. */
  readonly rules: readonly RoleRule[];
  readonly now: number;
  readonly config: BrokeConfig;
  readonly cluster: ClusterView;
  /** Live node state by RouteCandidate.nodeIndex (read once per route). */
  readonly nodeStates: ReadonlyArray<NodeState | undefined>;
  /** Speed estimate by RouteCandidate.index (refreshed incrementally, see PerfCache). */
  readonly perf: ReadonlyArray<PerfEstimate | undefined>;
  /** The same estimates as flat arrays by RouteCandidate.index. */
  readonly perfTable: PerfTable;
  /** Reply tokens expected: the learned typical length for this role and task, capped by max_tokens. */
  readonly expectedOutputTokens: number;
  /** Team and role as stored in the learned statistics (`*` when unknown). */
  readonly team: string;
  readonly role: string;
  readonly learned: LearnedQuality;
  /** Whether this route may explore (Thompson sample of quality, see objective.ts). */
  readonly explore: boolean;
  readonly rng: Prng;
  /** Node × model that served this session before, if any. */
  readonly affinity: AffinityTarget | undefined;
  /**
   * A candidate (table index) the route must take if it survives the filters: the session's
   * previous node × model under `routing.sessions: pin`. Fallbacks stay ranked as usual.
   */
  readonly stickTo?: number | undefined;
  /** The session's other requests in flight (parallel agents of one run), if any. */
  readonly run?: RunInFlight | undefined;
  /** The session's previous turn and what session outcomes taught about hand-offs after it. */
  readonly handOff?: { readonly from: Turn; readonly stats: HandOffs } | undefined;
  /** Static per-candidate arrays and live per-node arrays. */
  readonly table: CandidateTable;
  readonly live: LiveTable;
  /** Each team's escalation spend today; undefined when no node is an escalation node. */
  readonly escalation?: EscalationSpend | undefined;
}

export interface RemovedCandidate {
  candidate: RouteCandidate;
  reason: string;
}

/**
 * Why a filter removed a candidate: the text, or a function of the table index that builds it.
 * A function runs only when the reason is shown (explanations list 100 removals per filter, the
 * no-route error all of them), so a filter that removes thousands builds few strings. It may read
 * only its arguments: it runs after the filter returns, with the same context.
 */
export type RemovalReason = string | ((index: number, ctx: RoutingContext) => string);

/** Where a filter reports each candidate it removes (table index), with the reason. */
export interface RemovalSink {
  add(index: number, reason: RemovalReason): void;
}

/**
 * Hard constraint: removes candidates that must not serve this request. One method, the one the
 * pipeline runs: keep the candidates that may serve in place in `idx[0..count)` (table indices,
 * order preserved), report every other one to `removed` with its reason, return the new count.
 * Per-candidate data is in ctx.table (static) and ctx.live (per node, refreshed once per route).
 */
export interface Filter {
  readonly name: string;
  filter(idx: Int32Array, count: number, ctx: RoutingContext, removed: RemovalSink): number;
  /** The error to throw when this filter removed the last candidates (default: NoRouteError 503). */
  whenEmpty?(removed: readonly RemovedCandidate[], ctx: RoutingContext): BrokeError;
}

/** Per-candidate predictions for one route, by kept position k (idx[k] is the table index). */
export interface Estimates {
  /** Predicted quality 0..1: the sum of the quality factors so far (clamped when read by the picker). */
  readonly quality: Float64Array;
  /** Pseudo-observations behind the quality prediction (how sure it is; for exploration). */
  readonly strength: Float64Array;
  /** Predicted milliseconds to finish: the sum of the time factors so far. */
  readonly timeMs: Float64Array;
}

/**
 * A routing factor: one term of the prediction. A quality factor adds quality points (the prior
 * writes the base, learning its correction, role rules a preference); a time factor adds
 * milliseconds (run time, queue wait, model load, cache savings). Factors run in registration
 * order and each may read the sums of those before it in `so`. The picker then applies the
 * profile's objective to the sums; explanations list every term.
 */
export interface Factor {
  readonly name: string;
  readonly adds: 'quality' | 'time';
  /** Write this factor's term for the candidates idx[0..count) into out[0..count). */
  estimate(idx: Int32Array, count: number, ctx: RoutingContext, out: Float64Array, so: Estimates): void;
  /**
   * A short reason for one candidate's term, built when an explanation is first read (maybe long
   * after the route): `ctx` holds the route's own facts (agent, analysis, band, team, role, …), the
   * router's state at that read, and no request (its prompt and fields are not kept).
   */
  note?(candidate: RouteCandidate, term: number, ctx: RoutingContext): string | undefined;
}
