import type { PromptAnalysis } from '../analysis/analyze.js';
import type { ClusterView, NodeState, PerfEstimate } from '../cluster/node-state.js';
import type { BrokeConfig, ModelConfig, NodeConfig, RoleRule } from '../config/schema.js';
import type { AgentContext } from '../context/agent-context.js';
import type { BrokeError } from '../errors.js';
import type { LearnedQuality } from '../learning/learned-quality.js';
import type { Prng } from '../learning/prng.js';
import type { AffinityTarget } from '../learning/session-affinity.js';
import type { CandidateTable } from './candidate-table.js';
import type { LiveTable } from './live-table.js';
import type { PerfTable } from './perf-cache.js';
import type { Candidate, RouteRequest } from './types.js';

/** A candidate with the static data filters and scorers need, computed once per config. */
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
  /** Profile whose weights rank the candidates. */
  readonly profile: string;
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
  /** The same estimates as flat arrays by RouteCandidate.index (optional for hand-built contexts). */
  readonly perfTable?: PerfTable;
  /** Tokens the reply may use: request max_tokens or a default for estimates. */
  readonly expectedOutputTokens: number;
  /** Team and role as stored in the learned statistics (`*` when unknown). */
  readonly team: string;
  readonly role: string;
  readonly learned: LearnedQuality;
  /** Whether this route samples learned quality (Thompson) instead of using the mean. */
  readonly explore: boolean;
  readonly rng: Prng;
  /** Node × model that served this session before, if any. */
  readonly affinity: AffinityTarget | undefined;
  /** Static per-candidate arrays and live per-node arrays (set by the router; batch paths use them). */
  readonly table?: CandidateTable;
  readonly live?: LiveTable;
}

export interface RemovedCandidate {
  candidate: RouteCandidate;
  reason: string;
}

export interface FilterResult {
  kept: RouteCandidate[];
  removed: RemovedCandidate[];
}

/** Hard constraint: removes candidates that must not serve this request. */
export interface Filter {
  readonly name: string;
  apply(candidates: readonly RouteCandidate[], ctx: RoutingContext): FilterResult;
  /**
   * Fast path used by the pipeline when present: keep candidates in place in `idx[0..count)`
   * (table indices, order preserved), push the removed table indices onto `removed`, return the
   * new count. Needs ctx.table and ctx.live. `reason` then explains each removal.
   */
  compact?(idx: Int32Array, count: number, ctx: RoutingContext, removed: number[]): number;
  /** Why this filter removes a candidate (undefined: kept). Required with `compact`. */
  reason?(candidate: RouteCandidate, ctx: RoutingContext): string | undefined;
  /** The error to throw when this filter removed the last candidates (default: NoRouteError 503). */
  whenEmpty?(removed: readonly RemovedCandidate[], ctx: RoutingContext): BrokeError;
}

export interface ScoreResult {
  /** 0 (worst) .. 1 (best). */
  score: number;
  note?: string;
}

/** Soft preference: a normalised 0..1 score per candidate, weighted by the profile. */
export interface Scorer {
  readonly name: string;
  /** Weight used when the profile does not name this scorer (custom scorers). Default 0. */
  readonly defaultWeight?: number;
  /** Once per route, before scoring (precompute per-route data such as the best latency). */
  prepare?(candidates: readonly RouteCandidate[], ctx: RoutingContext): void;
  score(candidate: RouteCandidate, ctx: RoutingContext): ScoreResult;
  /**
   * Batch fast path used by the pipeline when present (instead of prepare + value per
   * candidate): score the candidates idx[0..count) (table indices) into out[offset + k], 0..1.
   * Needs ctx.table and ctx.live.
   */
  scoreAll?(idx: Int32Array, count: number, ctx: RoutingContext, out: Float64Array, offset: number): void;
  /** Allocation-free fast path returning only the score; used by the pipeline when present. */
  value?(candidate: RouteCandidate, ctx: RoutingContext): number;
  /**
   * Multiplier for this scorer's weight on the current route, read after prepare (default 1);
   * the route's weights are renormalised to sum 1 afterwards. Learned quality uses it to pull
   * harder as its evidence grows.
   */
  weightScale?(): number;
  /** Readable note for a score computed by `value` (built lazily, only for explanations). */
  note?(candidate: RouteCandidate, score: number, ctx: RoutingContext): string | undefined;
}

/** Filter that keeps candidates for which `reasonToRemove` returns undefined. */
export function predicateFilter(
  name: string,
  reasonToRemove: (candidate: RouteCandidate, ctx: RoutingContext) => string | undefined,
): Filter {
  return {
    name,
    apply(candidates, ctx) {
      // Common case first: nothing removed, so hand back the same array without allocating.
      let i = 0;
      let reason: string | undefined;
      for (; i < candidates.length; i++) {
        reason = reasonToRemove(candidates[i] as RouteCandidate, ctx);
        if (reason !== undefined) break;
      }
      if (i === candidates.length) return { kept: candidates as RouteCandidate[], removed: [] };
      const kept = candidates.slice(0, i);
      const removed: RemovedCandidate[] = [
        { candidate: candidates[i] as RouteCandidate, reason: reason as string },
      ];
      for (i++; i < candidates.length; i++) {
        const candidate = candidates[i] as RouteCandidate;
        const why = reasonToRemove(candidate, ctx);
        if (why === undefined) kept.push(candidate);
        else removed.push({ candidate, reason: why });
      }
      return { kept, removed };
    },
  };
}

/** Filter with a batch `compact` loop and the per-candidate `reason` (also backing `apply`). */
export function fastFilter(
  name: string,
  reason: (candidate: RouteCandidate, ctx: RoutingContext) => string | undefined,
  compact: (idx: Int32Array, count: number, ctx: RoutingContext, removed: number[]) => number,
): Filter {
  return { ...predicateFilter(name, reason), reason, compact };
}

/** Scorer built from a value function and an optional note function. */
export function valueScorer(
  name: string,
  value: (candidate: RouteCandidate, ctx: RoutingContext) => number,
  note?: (candidate: RouteCandidate, score: number, ctx: RoutingContext) => string | undefined,
  prepare?: (candidates: readonly RouteCandidate[], ctx: RoutingContext) => void,
  scoreAll?: Scorer['scoreAll'],
): Scorer {
  return {
    name,
    value,
    ...(note ? { note } : {}),
    ...(prepare ? { prepare } : {}),
    ...(scoreAll ? { scoreAll } : {}),
    score(candidate, ctx) {
      const score = value(candidate, ctx);
      const text = note?.(candidate, score, ctx);
      return text === undefined ? { score } : { score, note: text };
    },
  };
}
