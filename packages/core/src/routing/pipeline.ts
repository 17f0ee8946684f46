import { NoRouteError } from '../errors.js';
import type { CandidateTable } from './candidate-table.js';
import { EXPLAINED_CANDIDATES, pickFallbacks, topIndices } from './picker.js';
import type { Filter, RemovedCandidate, RouteCandidate, RoutingContext, Scorer } from './plugin.js';
import type { LearnedQualityScorer } from './scorers/learned-quality.js';
import type { FilterVerdict } from './types.js';

/** Removed candidates listed per filter in an explanation; the rest are only counted. */
const LISTED_REMOVALS = 100;

/** What one run of the pipeline decided, in the raw form the router turns into a decision. */
export interface PipelineResult {
  candidates: number;
  verdicts: FilterVerdict[];
  chosen: RouteCandidate;
  fallbacks: RouteCandidate[];
  explored: boolean;
  /** The best kept candidates (best first) with their totals and per-scorer raw scores. */
  top: RouteCandidate[];
  topTotals: Float64Array;
  /** Row per `top` entry, column per active scorer. */
  topScores: Float64Array;
  /** Kept candidates not in `top` (not detailed in the explanation). */
  omitted: number;
  /** Weights this route used: the profile's, rescaled by scorers' weightScale, summing to 1. */
  weights: Float64Array;
}

/**
 * The routing pipeline, start to end:
 *
 *   1. candidates  every node × model from config (CandidateTable), live state in ctx
 *   2. filters     each removes what must not serve this request, with a reason; the filter that
 *                  removes the last candidates picks the error (503 no_route, 429 saturated)
 *   3. scorers     each scores every survivor 0..1; weights come from the profile
 *   4. picker      weighted sum (weights rescaled per route by weightScale, e.g. learned
 *                  quality by its confidence), best first; fallbacks prefer other nodes; on
 *                  exploring routes the model with the best Thompson sample is served and we
 *                  record whether that changed the pick compared with exploiting the means
 *
 * The same arrays are reused across routes, so a decision allocates little beyond its result.
 */
export class RoutingPipeline {
  /** Kept candidates as table indices, compacted in place by each filter. */
  private idx = new Int32Array(0);
  /** Score matrix, column-major: scores[s * stride + k] for scorer s and kept candidate k. */
  private scores = new Float64Array(0);
  private stride = 0;
  private totals = new Float64Array(0);
  private readonly removed: number[] = [];

  constructor(
    readonly filters: readonly Filter[],
    readonly scorers: readonly Scorer[],
  ) {}

  run(
    table: CandidateTable,
    ctx: RoutingContext,
    weights: Float64Array,
    maxFallbacks: number,
  ): PipelineResult {
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
      removed.length = 0;
      const before = count;
      count =
        filter.compact && filter.reason
          ? filter.compact(idx, count, ctx, removed)
          : slowFilter(filter, idx, count, all, ctx, removed);
      if (removed.length > 0) {
        verdicts ??= [];
        verdicts.push(verdictOf(filter, removed, all, ctx));
      }
      if (count === 0 && before > 0) {
        const entries = removed.map((i) => ({
          candidate: all[i] as RouteCandidate,
          reason: reasonOf(filter, all[i] as RouteCandidate, ctx),
        }));
        throw filter.whenEmpty?.(entries, ctx) ?? noRouteError(filter.name, entries, size);
      }
    }
    if (count === 0) throw new NoRouteError('No node serves any model', { hint: 'check nodes[].models' });

    // 3. Scorers: each fills its column of the score matrix in its own loop.
    const scorerCount = this.scorers.length;
    this.ensureCapacity(count, scorerCount);
    const { scores, totals, stride } = this;
    let routeWeights = weights;
    let explorer: LearnedQualityScorer | undefined;
    for (let s = 0; s < scorerCount; s++) {
      const scorer = this.scorers[s] as Scorer;
      const offset = s * stride;
      if (scorer.scoreAll) scorer.scoreAll(idx, count, ctx, scores, offset);
      else slowScores(scorer, idx, count, all, ctx, scores, offset);
      const scale = scorer.weightScale?.() ?? 1;
      if (scale !== 1 && scale >= 0 && Number.isFinite(scale)) {
        if (routeWeights === weights) routeWeights = weights.slice();
        routeWeights[s] = (routeWeights[s] as number) * scale;
      }
      if (ctx.explore && isLearnedQuality(scorer)) explorer = scorer;
    }
    if (routeWeights !== weights) normalise(routeWeights);
    // Weighted sum, clamping each score to 0..1 on the way (NaN and negatives become 0).
    totals.fill(0, 0, count);
    for (let s = 0; s < scorerCount; s++) {
      const weight = routeWeights[s] as number;
      const offset = s * stride;
      for (let k = 0; k < count; k++) {
        let score = scores[offset + k] as number;
        if (!(score >= 0)) score = scores[offset + k] = 0;
        else if (score > 1) score = scores[offset + k] = 1;
        totals[k] = (totals[k] as number) + weight * score;
      }
    }

    // 4. Picker. Exploring routes (Thompson): serve the model with the best posterior sample, on
    // its best-ranked node; `explored` says whether that differs from the exploiting pick.
    const top = topIndices(totals, count, Math.max(EXPLAINED_CANDIDATES, maxFallbacks + 1));
    const best = top[0] as number;
    let chosen = best;
    if (explorer) {
      let bestSample = -1;
      for (let k = 0; k < count; k++) {
        const sample = explorer.sampleAt(idx[k] as number);
        if (
          sample > bestSample ||
          (sample === bestSample && (totals[k] as number) > (totals[chosen] as number))
        ) {
          bestSample = sample;
          chosen = k;
        }
      }
      if (chosen !== best) {
        const at = top.indexOf(chosen);
        if (at >= 0) top.splice(at, 1);
        else top.pop();
        top.unshift(chosen);
      }
    }
    const chosenCandidate = all[idx[chosen] as number] as RouteCandidate;
    const explored = chosenCandidate.modelIndex !== (all[idx[best] as number] as RouteCandidate).modelIndex;
    const fallbackPositions = pickFallbacks(
      top,
      (k) => (all[idx[k] as number] as RouteCandidate).nodeIndex,
      maxFallbacks,
    );

    // Keep only what an explanation needs: the top rows of the score matrix.
    const detailed = Math.min(top.length, EXPLAINED_CANDIDATES);
    const topCandidates: RouteCandidate[] = new Array(detailed);
    const topTotals = new Float64Array(detailed);
    const topScores = new Float64Array(detailed * scorerCount);
    for (let r = 0; r < detailed; r++) {
      const k = top[r] as number;
      topCandidates[r] = all[idx[k] as number] as RouteCandidate;
      topTotals[r] = totals[k] as number;
      for (let s = 0; s < scorerCount; s++) topScores[r * scorerCount + s] = scores[s * stride + k] as number;
    }
    const fallbacks: RouteCandidate[] = new Array(fallbackPositions.length);
    for (let f = 0; f < fallbackPositions.length; f++)
      fallbacks[f] = all[idx[fallbackPositions[f] as number] as number] as RouteCandidate;
    return {
      candidates: size,
      verdicts: verdicts ?? NO_VERDICTS,
      chosen: chosenCandidate,
      fallbacks,
      explored,
      top: topCandidates,
      topTotals,
      topScores,
      omitted: count - detailed,
      weights: routeWeights,
    };
  }

  private ensureCapacity(count: number, scorerCount: number): void {
    if (this.totals.length < count) this.totals = new Float64Array(count);
    if (this.stride < count || this.scores.length < this.stride * scorerCount) {
      this.stride = Math.max(count, this.stride);
      this.scores = new Float64Array(this.stride * scorerCount);
    }
  }
}

/** Shared empty verdict list (explanations copy nothing from it). */
const NO_VERDICTS: FilterVerdict[] = [];

/** A filter without `compact` (custom plugins): run `apply` on candidate objects. */
function slowFilter(
  filter: Filter,
  idx: Int32Array,
  count: number,
  all: readonly RouteCandidate[],
  ctx: RoutingContext,
  removed: number[],
): number {
  const candidates: RouteCandidate[] = new Array(count);
  for (let k = 0; k < count; k++) candidates[k] = all[idx[k] as number] as RouteCandidate;
  const result = filter.apply(candidates, ctx);
  slowReasons.set(filter, result.removed);
  for (const entry of result.removed) removed.push(entry.candidate.index);
  for (let k = 0; k < result.kept.length; k++) idx[k] = (result.kept[k] as RouteCandidate).index;
  return result.kept.length;
}

/** Reasons from the last `apply` of filters without `reason`. */
const slowReasons = new WeakMap<Filter, readonly RemovedCandidate[]>();

function reasonOf(filter: Filter, candidate: RouteCandidate, ctx: RoutingContext): string {
  if (filter.reason) return filter.reason(candidate, ctx) ?? 'removed';
  return slowReasons.get(filter)?.find((entry) => entry.candidate === candidate)?.reason ?? 'removed';
}

/** A scorer without `scoreAll` (custom plugins): prepare, then value or score per candidate. */
function slowScores(
  scorer: Scorer,
  idx: Int32Array,
  count: number,
  all: readonly RouteCandidate[],
  ctx: RoutingContext,
  out: Float64Array,
  offset: number,
): void {
  if (scorer.prepare) {
    const candidates: RouteCandidate[] = new Array(count);
    for (let k = 0; k < count; k++) candidates[k] = all[idx[k] as number] as RouteCandidate;
    scorer.prepare(candidates, ctx);
  }
  for (let k = 0; k < count; k++) {
    const candidate = all[idx[k] as number] as RouteCandidate;
    out[offset + k] = scorer.value ? scorer.value(candidate, ctx) : scorer.score(candidate, ctx).score;
  }
}

function isLearnedQuality(scorer: Scorer): scorer is LearnedQualityScorer {
  return 'sampleValue' in scorer;
}

function normalise(weights: Float64Array): void {
  let sum = 0;
  for (let s = 0; s < weights.length; s++) sum += weights[s] as number;
  if (sum > 0) for (let s = 0; s < weights.length; s++) weights[s] = (weights[s] as number) / sum;
}

function verdictOf(
  filter: Filter,
  removed: readonly number[],
  all: readonly RouteCandidate[],
  ctx: RoutingContext,
): FilterVerdict {
  const listed = removed.length > LISTED_REMOVALS ? removed.slice(0, LISTED_REMOVALS) : removed;
  const verdict: FilterVerdict & { removedCount?: number } = {
    filter: filter.name,
    removed: listed.map((i) => {
      const candidate = all[i] as RouteCandidate;
      return {
        nodeId: candidate.nodeId,
        modelId: candidate.modelId,
        servedName: candidate.servedName,
        reason: reasonOf(filter, candidate, ctx),
      };
    }),
  };
  if (listed.length < removed.length) verdict.removedCount = removed.length;
  return verdict;
}

function noRouteError(filter: string, removed: readonly RemovedCandidate[], total: number): NoRouteError {
  const reasons = [...new Set(removed.map((entry) => entry.reason))].slice(0, 3).join('; ');
  return new NoRouteError(`No candidate left after the ${filter} filter (${total} considered): ${reasons}`, {
    hint: 'GET the route explanation or check node health and model capabilities',
  });
}
