import { NoRouteError } from '../errors.js';
import { PRIOR_STRENGTH } from '../learning/learned-quality.js';
import type { CandidateTable } from './candidate-table.js';
import { type ObjectiveScratch, pickByObjective } from './objective.js';
import { EXPLAINED_CANDIDATES, pickFallbacks, topIndices } from './picker.js';
import type {
  Estimates,
  Factor,
  Filter,
  RemovedCandidate,
  RouteCandidate,
  RoutingContext,
} from './plugin.js';
import { Removals } from './removals.js';
import type { FilterVerdict } from './types.js';

/** Top-row values kept in a plain array up to this many (see run); a Float64Array beyond. */
const SMALL_TOP_VALUES = 24;

/** Removed candidates listed per filter in an explanation; the rest are only counted. */
const LISTED_REMOVALS = 100;

/**
 * Columns of a `top` row in PipelineResult.topValues; each factor's term follows from TOP_TERMS on,
 * in the pipeline's factor order.
 */
export const TOP_QUALITY = 0;
/** Pseudo-observations behind the row's quality (prior plus judged evidence). */
export const TOP_STRENGTH = 1;
export const TOP_TIME_MS = 2;
export const TOP_UTILITY = 3;
export const TOP_TERMS = 4;

/** What one run of the pipeline decided, in the raw form the router turns into a decision. */
export interface PipelineResult {
  candidates: number;
  verdicts: FilterVerdict[];
  chosen: RouteCandidate;
  fallbacks: RouteCandidate[];
  /** The served candidate differs from what the predictions alone would serve. */
  explored: boolean;
  /** The best kept candidates (best first; the served one first) with their predictions. */
  top: RouteCandidate[];
  /**
   * The predictions of the `top` rows, row r at r × topStride (columns TOP_QUALITY … TOP_TERMS).
   * One array: it stays with the newest routes' explanations, where five per route held ~750 B
   * more each, all of it copied by the young-generation GC that promotes them.
   */
  topValues: ArrayLike<number>;
  topStride: number;
  /** Fastest predicted finish among kept candidates (the objective's reference). */
  fastestMs: number;
  /** Kept candidates not in `top` (not detailed in the explanation). */
  omitted: number;
}

/**
 * The routing pipeline, start to end:
 *
 *   1. candidates  every node × model from config (CandidateTable), live state in ctx
 *   2. filters     each removes what must not serve this request, with a reason; the filter that
 *                  removes the last candidates picks the error (503 no_route, 429 saturated)
 *   3. factors     predict, per survivor, the quality this model gives this prompt (sum of the
 *                  quality terms) and the time to finish on that node now (sum of the time terms)
 *   4. objective   the profile's objective over the predictions picks (objective.ts); fallbacks
 *                  are the next best, other nodes first
 *
 * The same arrays are reused across routes, so a decision allocates little beyond its result.
 */
export class RoutingPipeline {
  /** Kept candidates as table indices, compacted in place by each filter. */
  private idx = new Int32Array(0);
  /** Term matrix, column-major: terms[f * stride + k] for factor f and kept candidate k. */
  private terms = new Float64Array(0);
  private stride = 0;
  /**
   * Each factor's column of `terms` (`stride` long; a factor writes out[0..count)), made when
   * `terms` is: a view per factor per route was a measurable share of a decision.
   */
  private columns: Float64Array[] = [];
  private quality = new Float64Array(0);
  private strength = new Float64Array(0);
  private timeMs = new Float64Array(0);
  private scratch: ObjectiveScratch = {
    utility: new Float64Array(0),
    rank: new Float64Array(0),
    sampled: new Float64Array(0),
    modelAt: new Int32Array(0),
    deviation: new Float64Array(0),
  };
  private readonly removed = new Removals();

  constructor(
    readonly filters: readonly Filter[],
    readonly factors: readonly Factor[],
  ) {}

  run(table: CandidateTable, ctx: RoutingContext, maxFallbacks: number): PipelineResult {
    const all = table.candidates;
    const size = all.length;
    if (this.idx.length < size) this.idx = new Int32Array(size);
    const idx = this.idx;
    for (let i = 0; i < size; i++) idx[i] = i;

    // 2. Filters: in-place compaction of the index array.
    let count = size;
    let verdicts: FilterVerdict[] | undefined;
    const removed = this.removed;
    for (const filter of this.filters) {
      removed.clear();
      const before = count;
      count = filter.filter(idx, count, ctx, removed);
      if (removed.length > 0) {
        verdicts ??= [];
        verdicts.push(verdictOf(filter, removed, all, ctx));
      }
      if (count === 0 && before > 0) {
        const entries: RemovedCandidate[] = removed.indices.map((i, k) => ({
          candidate: all[i] as RouteCandidate,
          reason: removed.reasonAt(k, ctx),
        }));
        const err = filter.whenEmpty?.(entries, ctx) ?? noRouteError(filter.name, entries, size);
        // Off the hot path: keep every filter's removals so the caller can say why (CLI route).
        if (err instanceof NoRouteError) err.breakdown = { candidates: size, filters: [...(verdicts ?? [])] };
        throw err;
      }
    }
    if (count === 0) {
      const err = new NoRouteError('No node serves any model', { hint: 'check nodes[].models' });
      err.breakdown = { candidates: 0, filters: [] };
      throw err;
    }

    // 3. Factors: each writes its term column; the running sums are what later factors read.
    const factorCount = this.factors.length;
    this.ensureCapacity(count, factorCount);
    const { terms, stride, quality, strength, timeMs } = this;
    quality.fill(0, 0, count);
    timeMs.fill(0, 0, count);
    strength.fill(PRIOR_STRENGTH, 0, count);
    const sums: Estimates = { quality, strength, timeMs };
    const columns = this.columns;
    for (let f = 0; f < factorCount; f++) {
      const factor = this.factors[f] as Factor;
      const column = columns[f] as Float64Array;
      factor.estimate(idx, count, ctx, column, sums);
      const into = factor.adds === 'quality' ? quality : timeMs;
      for (let k = 0; k < count; k++) {
        const term = column[k] as number;
        if (Number.isFinite(term)) into[k] = (into[k] as number) + term;
        else column[k] = 0; // a broken factor must not poison the decision
      }
    }
    for (let k = 0; k < count; k++) {
      const q = quality[k] as number;
      quality[k] = q < 0 ? 0 : Math.min(q, 1);
      if (!((timeMs[k] as number) >= 1)) timeMs[k] = 1;
    }

    // 4. Objective.
    if (ctx.explore) {
      const { modelAt } = this.scratch;
      for (let k = 0; k < count; k++) modelAt[k] = table.modelOf[idx[k] as number] as number;
      if (this.scratch.deviation.length < table.models.length)
        this.scratch.deviation = new Float64Array(table.models.length);
    }
    const pick = pickByObjective(
      quality,
      strength,
      timeMs,
      count,
      ctx.objective,
      ctx.typicalMs,
      ctx.explore,
      ctx.rng,
      this.scratch,
    );
    if (ctx.stickTo !== undefined) {
      for (let k = 0; k < count; k++)
        if (idx[k] === ctx.stickTo) {
          pick.chosen = k;
          pick.best = k;
          break;
        }
    }
    const top = topIndices(this.scratch.rank, count, Math.max(EXPLAINED_CANDIDATES, maxFallbacks + 1));
    if (pick.chosen !== top[0]) {
      const at = top.indexOf(pick.chosen);
      if (at >= 0) top.splice(at, 1);
      else top.pop();
      top.unshift(pick.chosen);
    }
    const chosen = all[idx[pick.chosen] as number] as RouteCandidate;
    const explored = pick.chosen !== pick.best;
    const fallbackPositions = pickFallbacks(
      top,
      (k) => (all[idx[k] as number] as RouteCandidate).nodeIndex,
      maxFallbacks,
    );

    // Keep only what an explanation needs: the top rows.
    const detailed = Math.min(top.length, EXPLAINED_CANDIDATES);
    const topCandidates: RouteCandidate[] = new Array(detailed);
    // The rows stay with the newest routes' explanations, so the young-generation GC copies what
    // of them is on the heap. A few rows: a plain array of exact length (doubles unboxed), as a
    // Float64Array's own objects take ~180 B of heap besides its bytes. More: a Float64Array, whose
    // bytes are off the heap and never copied.
    const topStride = TOP_TERMS + factorCount;
    const length = detailed * topStride;
    const topValues: number[] | Float64Array =
      length <= SMALL_TOP_VALUES ? new Array<number>(length) : new Float64Array(length);
    const utility = this.scratch.utility;
    for (let r = 0; r < detailed; r++) {
      const k = top[r] as number;
      const at = r * topStride;
      topCandidates[r] = all[idx[k] as number] as RouteCandidate;
      topValues[at + TOP_QUALITY] = quality[k] as number;
      topValues[at + TOP_STRENGTH] = strength[k] as number;
      topValues[at + TOP_TIME_MS] = timeMs[k] as number;
      topValues[at + TOP_UTILITY] = utility[k] as number;
      for (let f = 0; f < factorCount; f++) topValues[at + TOP_TERMS + f] = terms[f * stride + k] as number;
    }
    const fallbacks: RouteCandidate[] = new Array(fallbackPositions.length);
    for (let f = 0; f < fallbackPositions.length; f++)
      fallbacks[f] = all[idx[fallbackPositions[f] as number] as number] as RouteCandidate;
    return {
      candidates: size,
      verdicts: verdicts ?? NO_VERDICTS,
      chosen,
      fallbacks,
      explored,
      top: topCandidates,
      topValues,
      topStride,
      fastestMs: pick.fastestMs,
      omitted: count - detailed,
    };
  }

  private ensureCapacity(count: number, factorCount: number): void {
    if (this.quality.length < count) {
      this.quality = new Float64Array(count);
      this.strength = new Float64Array(count);
      this.timeMs = new Float64Array(count);
      this.scratch = {
        utility: new Float64Array(count),
        rank: new Float64Array(count),
        sampled: new Float64Array(count),
        modelAt: new Int32Array(count),
        deviation: this.scratch.deviation,
      };
    }
    if (this.stride < count || this.terms.length < this.stride * factorCount) {
      this.stride = Math.max(count, this.stride);
      this.terms = new Float64Array(this.stride * factorCount);
      const { terms, stride } = this;
      this.columns = [];
      for (let f = 0; f < factorCount; f++) this.columns.push(terms.subarray(f * stride, (f + 1) * stride));
    }
  }
}

/** Shared empty verdict list (explanations copy nothing from it). */
const NO_VERDICTS: FilterVerdict[] = [];

function verdictOf(
  filter: Filter,
  removed: Removals,
  all: readonly RouteCandidate[],
  ctx: RoutingContext,
): FilterVerdict {
  const listed = Math.min(removed.length, LISTED_REMOVALS);
  const verdict: FilterVerdict & { removedCount?: number } = {
    filter: filter.name,
    removed: new Array(listed),
  };
  for (let k = 0; k < listed; k++) {
    const candidate = all[removed.indices[k] as number] as RouteCandidate;
    verdict.removed[k] = {
      nodeId: candidate.nodeId,
      modelId: candidate.modelId,
      servedName: candidate.servedName,
      reason: removed.reasonAt(k, ctx),
    };
  }
  if (listed < removed.length) verdict.removedCount = removed.length;
  return verdict;
}

export function noRouteError(
  filter: string,
  removed: readonly RemovedCandidate[],
  total: number,
): NoRouteError {
  const reasons = [...new Set(removed.map((entry) => entry.reason))].slice(0, 3).join('; ');
  return new NoRouteError(`No candidate left after the ${filter} filter (${total} considered): ${reasons}`, {
    hint: 'GET the route explanation or check node health and model capabilities',
  });
}
