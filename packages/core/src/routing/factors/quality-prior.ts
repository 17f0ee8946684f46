import { priorQuality } from '../../learning/cold-start.js';
import type { Factor } from '../plugin.js';

/**
 * The base of every quality prediction: what a model of this size should score on a prompt of
 * this difficulty and task type (learning/cold-start.ts), or the caller's own `priorScores`.
 */
export function qualityPriorFactor(): Factor {
  return {
    name: 'quality-prior',
    adds: 'quality',
    estimate(idx, count, ctx, out) {
      const { modelOf, capability, candidates } = ctx.table;
      const { complexity, taskType } = ctx.analysis;
      const given = ctx.agent.priorScores;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        const own = given?.[(candidates[i] as { modelId: string }).modelId];
        out[k] = own ?? priorQuality(capability[modelOf[i] as number] as number, complexity, taskType);
      }
    },
    note: (candidate, term, ctx) =>
      ctx.agent.priorScores?.[candidate.modelId] !== undefined
        ? 'caller-supplied prior score'
        : `${candidate.model.parameters ?? candidate.model.tier}${candidate.model.parameters ? 'B' : ''} model on a ${ctx.band}-difficulty ${ctx.analysis.taskType} prompt: ${term.toFixed(2)}`,
  };
}
