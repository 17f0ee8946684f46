import { NoRouteError } from '../errors.js';
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
  topTotals: number[];
  /** Row per `top` entry, column per active scorer. */
  topScores: number[];
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
  private scores = new Float64Array(0);
  private totals = new Float64Array(0);

  constructor(
    readonly filters: readonly Filter[],
    readonly scorers: readonly Scorer[],
  ) {}

  run(
    all: readonly RouteCandidate[],
    ctx: RoutingContext,
    weights: Float64Array,
    maxFallbacks: number,
  ): PipelineResult {
    // 2. Filters.
    let kept: readonly RouteCandidate[] = all;
    const verdicts: FilterVerdict[] = [];
    for (const filter of this.filters) {
      const result = filter.apply(kept, ctx);
      if (result.removed.length > 0) verdicts.push(verdictOf(filter.name, result.removed));
      if (result.kept.length === 0 && kept.length > 0) {
        throw (
          filter.whenEmpty?.(result.removed, ctx) ?? noRouteError(filter.name, result.removed, all.length)
        );
      }
      kept = result.kept;
    }
    if (kept.length === 0)
      throw new NoRouteError('No node serves any model', { hint: 'check nodes[].models' });

    // 3. Scorers: column by column so each scorer's loop stays monomorphic.
    const count = kept.length;
    const scorerCount = this.scorers.length;
    this.ensureCapacity(count, scorerCount);
    const { scores, totals } = this;
    let routeWeights = weights;
    let explorer: LearnedQualityScorer | undefined;
    for (let s = 0; s < scorerCount; s++) {
      const scorer = this.scorers[s] as Scorer;
      scorer.prepare?.(kept, ctx);
      for (let i = 0; i < count; i++) {
        const candidate = kept[i] as RouteCandidate;
        const raw = scorer.value ? scorer.value(candidate, ctx) : scorer.score(candidate, ctx).score;
        scores[i * scorerCount + s] = raw >= 0 ? Math.min(raw, 1) : 0; // NaN and negatives become 0
      }
      const scale = scorer.weightScale?.() ?? 1;
      if (scale !== 1 && scale >= 0 && Number.isFinite(scale)) {
        if (routeWeights === weights) routeWeights = weights.slice();
        routeWeights[s] = (routeWeights[s] as number) * scale;
      }
      if (ctx.explore && isLearnedQuality(scorer)) explorer = scorer;
    }
    if (routeWeights !== weights) normalise(routeWeights);
    for (let i = 0; i < count; i++) {
      let total = 0;
      for (let s = 0; s < scorerCount; s++)
        total += (routeWeights[s] as number) * (scores[i * scorerCount + s] as number);
      totals[i] = total;
    }

    // 4. Picker. Exploring routes (Thompson): serve the model with the best posterior sample, on
    // its best-ranked node; `explored` says whether that differs from the exploiting pick.
    const top = topIndices(totals, count, Math.max(EXPLAINED_CANDIDATES, maxFallbacks + 1));
    const best = top[0] as number;
    let chosen = best;
    if (explorer) {
      let bestSample = -1;
      for (let i = 0; i < count; i++) {
        const sample = explorer.sampleValue(kept[i] as RouteCandidate);
        if (
          sample > bestSample ||
          (sample === bestSample && (totals[i] as number) > (totals[chosen] as number))
        ) {
          bestSample = sample;
          chosen = i;
        }
      }
      if (chosen !== best) {
        const at = top.indexOf(chosen);
        if (at >= 0) top.splice(at, 1);
        else top.pop();
        top.unshift(chosen);
      }
    }
    const explored = (kept[chosen] as RouteCandidate).modelId !== (kept[best] as RouteCandidate).modelId;
    const fallbacks = pickFallbacks(top, (i) => (kept[i] as RouteCandidate).nodeId, maxFallbacks);

    const detailed = top.length > EXPLAINED_CANDIDATES ? top.slice(0, EXPLAINED_CANDIDATES) : top;
    // Plain arrays: cheaper than small typed arrays to allocate, and these outlive the route.
    const topTotals: number[] = [];
    const topScores: number[] = [];
    for (const i of detailed) {
      topTotals.push(totals[i] as number);
      for (let s = 0; s < scorerCount; s++) topScores.push(scores[i * scorerCount + s] as number);
    }
    return {
      candidates: all.length,
      verdicts,
      chosen: kept[chosen] as RouteCandidate,
      fallbacks: fallbacks.map((i) => kept[i] as RouteCandidate),
      explored,
      top: detailed.map((i) => kept[i] as RouteCandidate),
      topTotals,
      topScores,
      omitted: count - detailed.length,
      weights: routeWeights,
    };
  }

  private ensureCapacity(count: number, scorerCount: number): void {
    if (this.totals.length < count) {
      this.totals = new Float64Array(count);
    }
    if (this.scores.length < count * scorerCount) this.scores = new Float64Array(count * scorerCount);
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

function verdictOf(filter: string, removed: readonly RemovedCandidate[]): FilterVerdict {
  const listed = removed.length > LISTED_REMOVALS ? removed.slice(0, LISTED_REMOVALS) : removed;
  const verdict: FilterVerdict & { removedCount?: number } = {
    filter,
    removed: listed.map(({ candidate, reason }) => ({
      nodeId: candidate.nodeId,
      modelId: candidate.modelId,
      servedName: candidate.servedName,
      reason,
    })),
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
