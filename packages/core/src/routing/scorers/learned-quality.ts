import { priorQuality } from '../../learning/cold-start.js';
import { posteriorMean, posteriorSample } from '../../learning/learned-quality.js';
import type { RouteCandidate, RoutingContext, Scorer } from '../plugin.js';

/**
 * Learned quality of the model for this (team, role, taskType): the Beta posterior mean, or on
 * exploring routes a Thompson sample from it. Cold start: the prior comes from the caller's
 * priorScores when given, else from tier × complexity (see learning/cold-start.ts).
 * Values are computed once per model per route (not per node).
 */
export function learnedQualityScorer(): Scorer & { exploitValue(candidate: RouteCandidate): number } {
  let means = new Float64Array(0);
  let samples = new Float64Array(0);
  let counts = new Float64Array(0);
  let explore = false;

  function prepare(candidates: readonly RouteCandidate[], ctx: RoutingContext): void {
    let models = 0;
    for (const candidate of candidates) if (candidate.modelIndex >= models) models = candidate.modelIndex + 1;
    if (means.length < models) {
      means = new Float64Array(models);
      samples = new Float64Array(models);
      counts = new Float64Array(models);
    }
    means.fill(-1, 0, models);
    explore = ctx.explore;
    const slice = ctx.learned.slice(ctx.team, ctx.role, ctx.analysis.taskType);
    const priors = ctx.agent.priorScores;
    for (const candidate of candidates) {
      const m = candidate.modelIndex;
      if (means[m] !== -1) continue;
      const prior = priors?.[candidate.modelId] ?? priorQuality(candidate.tierRank, ctx.analysis.complexity);
      const stat = slice?.get(candidate.modelId);
      means[m] = posteriorMean(prior, stat);
      counts[m] = stat?.n ?? 0;
      if (explore) samples[m] = posteriorSample(prior, stat, ctx.rng);
    }
  }

  function value(candidate: RouteCandidate): number {
    return explore ? (samples[candidate.modelIndex] as number) : (means[candidate.modelIndex] as number);
  }

  return {
    name: 'learned-quality',
    prepare,
    value,
    exploitValue: (candidate) => means[candidate.modelIndex] as number,
    score: (candidate) => ({ score: value(candidate) }),
    note: (candidate, score, ctx) =>
      `${ctx.explore ? 'sampled' : 'mean'} ${score.toFixed(2)} for ${ctx.role}/${ctx.analysis.taskType} on ${candidate.modelId}`,
  };
}
