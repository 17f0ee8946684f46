import type { HandOffEstimate } from '../../learning/hand-offs.js';
import type { Factor, RoutingContext } from '../plugin.js';

const estimateOf = (): HandOffEstimate => ({
  delta: 0,
  sessions: 0,
  mean: 0,
  baseline: 0,
  after: { role: '', modelId: '' },
});

/**
 * Model combinations that worked: after the session's previous turn (role A on model X), the
 * quality points session outcomes credit to giving this role each model (learning/hand-offs.ts).
 * 0 without a previous turn or without session outcomes for that hand-off. Once per model.
 */
export function handOffFactor(): Factor {
  const scratch = estimateOf();
  let perModel = new Float64Array(0);
  return {
    name: 'hand-off',
    adds: 'quality',
    estimate(idx, count, ctx, out) {
      const from = ctx.handOff?.from;
      if (!from || ctx.agent.role === undefined) {
        out.fill(0, 0, count);
        return;
      }
      const { models, modelOf } = ctx.table;
      if (perModel.length < models.length) perModel = new Float64Array(models.length);
      perModel.fill(Number.NaN, 0, models.length);
      for (let k = 0; k < count; k++) {
        const m = modelOf[idx[k] as number] as number;
        if (Number.isNaN(perModel[m] as number))
          perModel[m] = lookup(ctx, (models[m] as { id: string }).id, scratch) ? scratch.delta : 0;
        out[k] = perModel[m] as number;
      }
    },
    note(candidate, term, ctx) {
      const estimate = estimateOf();
      if (!lookup(ctx, candidate.modelId, estimate)) return undefined;
      const sign = term >= 0 ? '+' : '';
      return `after ${estimate.after.role} on ${estimate.after.modelId}: sessions giving ${ctx.role} this model ended ${estimate.mean.toFixed(2)} (${estimate.sessions} rated) vs ${estimate.baseline.toFixed(2)} for any model: ${sign}${term.toFixed(2)}`;
    },
  };
}

function lookup(ctx: RoutingContext, modelId: string, out: HandOffEstimate): boolean {
  const handOff = ctx.handOff;
  return handOff !== undefined && handOff.stats.estimate(ctx.team, handOff.from, ctx.role, modelId, out);
}
