import { priorQuality } from '../../learning/cold-start.js';
import {
  evidenceOf,
  type LearnedQuality,
  posteriorMean,
  posteriorSample,
} from '../../learning/learned-quality.js';
import type { RouteCandidate, RoutingContext, Scorer } from '../plugin.js';

/**
 * Evidence (judged observations) at which the learned-quality weight has grown half-way to its
 * maximum: confidence = evidence / (evidence + CONFIDENCE_HALF_EVIDENCE).
 */
export const CONFIDENCE_HALF_EVIDENCE = 10;
/** At full confidence the learned-quality weight is (1 + LEARNED_WEIGHT_BOOST) × the profile's. */
export const LEARNED_WEIGHT_BOOST = 2;

/** The learned-quality scorer plus what the pipeline needs for confidence and exploration. */
export interface LearnedQualityScorer extends Scorer {
  /** Posterior mean (what exploiting routes rank by). */
  exploitValue(candidate: RouteCandidate): number;
  /** Thompson sample drawn in prepare on exploring routes (the mean otherwise). */
  sampleValue(candidate: RouteCandidate): number;
  /** The same by table index, after scoreAll. */
  sampleAt(index: number): number;
}

/**
 * Learned quality of the model for this (team, role, taskType): the Beta posterior mean. Cold
 * start: the prior comes from the caller's priorScores when given, else from tier × complexity
 * (see learning/cold-start.ts). Values are computed once per model per route (not per node).
 *
 * Its pull grows with confidence: the route's weight for this scorer is multiplied by
 * 1 + LEARNED_WEIGHT_BOOST × E / (E + CONFIDENCE_HALF_EVIDENCE), E the evidence behind the
 * candidates' models, so a well-measured quality gap outweighs latency and session affinity in
 * `balanced` (in `latency`, where its base weight is small, speed still dominates).
 *
 * On exploring routes prepare also draws a Thompson sample per model; the pipeline then serves
 * the model with the best sample (see pipeline.ts).
 */
export function learnedQualityScorer(): LearnedQualityScorer {
  let means = new Float64Array(0);
  let samples = new Float64Array(0);
  let evidence = new Float64Array(0);
  let scale = 1;
  let explore = false;
  let total = 0;
  let slice: ReturnType<LearnedQuality['slice']>;
  let modelOfRoute: Int32Array | undefined;

  function reset(models: number, ctx: RoutingContext): void {
    if (means.length < models) {
      means = new Float64Array(models);
      samples = new Float64Array(models);
      evidence = new Float64Array(models);
    }
    means.fill(-1, 0, models);
    explore = ctx.explore;
    total = 0;
    slice = ctx.learned.slice(ctx.team, ctx.role, ctx.analysis.taskType);
  }

  /** Posterior (and sample) of one model, once per model per route. */
  function compute(candidate: RouteCandidate, ctx: RoutingContext): number {
    const m = candidate.modelIndex;
    const prior =
      ctx.agent.priorScores?.[candidate.modelId] ?? priorQuality(candidate.tierRank, ctx.analysis.complexity);
    const stat = slice?.get(candidate.modelId);
    const mean = posteriorMean(prior, stat);
    means[m] = mean;
    evidence[m] = evidenceOf(stat);
    total += evidence[m] as number;
    samples[m] = explore ? posteriorSample(prior, stat, ctx.rng) : mean;
    return mean;
  }

  function finish(): void {
    scale = 1 + (LEARNED_WEIGHT_BOOST * total) / (total + CONFIDENCE_HALF_EVIDENCE);
  }

  function prepare(candidates: readonly RouteCandidate[], ctx: RoutingContext): void {
    let models = 0;
    for (const candidate of candidates) if (candidate.modelIndex >= models) models = candidate.modelIndex + 1;
    reset(models, ctx);
    for (const candidate of candidates) if (means[candidate.modelIndex] === -1) compute(candidate, ctx);
    finish();
  }

  function scoreAll(idx: Int32Array, count: number, ctx: RoutingContext, out: Float64Array, offset: number) {
    const table = ctx.table as NonNullable<RoutingContext['table']>;
    const modelOf = table.modelOf;
    modelOfRoute = modelOf;
    reset(table.models.length, ctx);
    for (let k = 0; k < count; k++) {
      const i = idx[k] as number;
      const m = modelOf[i] as number;
      const mean = means[m] as number;
      out[offset + k] = mean === -1 ? compute(table.candidates[i] as RouteCandidate, ctx) : mean;
    }
    finish();
  }

  function value(candidate: RouteCandidate): number {
    return means[candidate.modelIndex] as number;
  }

  return {
    name: 'learned-quality',
    prepare,
    scoreAll,
    value,
    weightScale: () => scale,
    exploitValue: value,
    sampleValue: (candidate) => samples[candidate.modelIndex] as number,
    sampleAt: (i) => samples[(modelOfRoute as Int32Array)[i] as number] as number,
    score: (candidate) => ({ score: value(candidate) }),
    note: (candidate, score, ctx) => {
      const stat = ctx.learned.get(ctx.team, ctx.role, ctx.analysis.taskType, candidate.modelId);
      const measured = stat ? `${evidenceOf(stat).toFixed(1)} evidence` : 'prior only';
      return `mean ${score.toFixed(2)} (${measured}) for ${ctx.role}/${ctx.analysis.taskType} on ${candidate.modelId}`;
    },
  };
}
