import { LearnedQuality, type QualityPrediction } from '../../learning/learned-quality.js';
import type { Factor } from '../plugin.js';

/**
 * What feedback taught: the pooled posterior (learning/learned-quality.ts) minus the prior, so
 * the predicted quality becomes the posterior mean. Reads the prior from the quality factors
 * before it; sets how sure the prediction is (`strength`) for exploration. Computed once per
 * model per route, not per node.
 */
export function learnedQualityFactor(): Factor {
  const prediction: QualityPrediction = { mean: 0, strength: 0, evidence: 0, levels: 0 };
  let perModel = new Float64Array(0);
  let strengthOf = new Float64Array(0);
  return {
    name: 'learned-quality',
    adds: 'quality',
    estimate(idx, count, ctx, out, so) {
      const { modelOf, candidates, models } = ctx.table;
      if (perModel.length < models.length) {
        perModel = new Float64Array(models.length);
        strengthOf = new Float64Array(models.length);
      }
      perModel.fill(Number.NaN, 0, models.length);
      const slices = ctx.learned.slicesFor(ctx.team, ctx.role, ctx.analysis.taskType, ctx.band);
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        const m = modelOf[i] as number;
        if (Number.isNaN(perModel[m] as number)) {
          const prior = so.quality[k] as number;
          LearnedQuality.predict(slices, (candidates[i] as { modelId: string }).modelId, prior, prediction);
          perModel[m] = prediction.mean - prior;
          strengthOf[m] = prediction.strength;
        }
        out[k] = perModel[m] as number;
        so.strength[k] = strengthOf[m] as number;
      }
    },
    note(candidate, term, ctx) {
      const slices = ctx.learned.slicesFor(ctx.team, ctx.role, ctx.analysis.taskType, ctx.band);
      LearnedQuality.predict(slices, candidate.modelId, 0.5, prediction);
      if (prediction.levels === 0) return 'no feedback yet for this difficulty';
      const sign = term >= 0 ? '+' : '';
      return `${sign}${term.toFixed(2)} from feedback (${prediction.evidence.toFixed(1)} judged at the closest level, ${prediction.levels} of ${slices.length} levels, ${ctx.band} difficulty)`;
    },
  };
}
