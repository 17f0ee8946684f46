import { priorQuality } from '../../learning/cold-start.js';
import type { Factor } from '../plugin.js';

/**
 * The base of every quality prediction: what a model of this size should score on a prompt of
 * this difficulty and task type (learning/cold-start.ts), or the caller's own `priorScores`.
 */
export function qualityPriorFactor(): Factor {
  // Once per model per route (a cluster has thousands of candidates but a handful of models).
  let byModel = new Float64Array(0);
  return {
    name: 'quality-prior',
    adds: 'quality',
    estimate(idx, count, ctx, out) {
      const { modelOf, capability, models } = ctx.table;
      const { complexity, taskType } = ctx.analysis;
      const given = ctx.agent.priorScores;
      if (byModel.length < models.length) byModel = new Float64Array(models.length);
      for (let m = 0; m < models.length; m++)
        byModel[m] =
          given?.[(models[m] as { id: string }).id] ??
          priorQuality(capability[m] as number, complexity, taskType);
      for (let k = 0; k < count; k++) out[k] = byModel[modelOf[idx[k] as number] as number] as number;
    },
    note: (candidate, term, ctx) =>
      ctx.agent.priorScores?.[candidate.modelId] !== undefined
        ? 'caller-supplied prior score'
        : `${candidate.model.parameters ?? candidate.model.tier}${candidate.model.parameters ? 'B' : ''} model on a ${ctx.band}-difficulty ${ctx.analysis.taskType} prompt: ${term.toFixed(2)}`,
  };
}
