import { tierFit } from '../../learning/cold-start.js';
import { type Scorer, valueScorer } from '../plugin.js';

/** Prefers model tiers that match the prompt's complexity (small for easy, large for hard). */
export function tierFitScorer(): Scorer {
  return valueScorer(
    'tier-fit',
    (candidate, ctx) => tierFit(candidate.tierRank, ctx.analysis.complexity),
    (candidate, _score, ctx) =>
      `${candidate.model.tier} model for complexity ${ctx.analysis.complexity.toFixed(2)}`,
    undefined,
    (idx, count, ctx, out, offset) => {
      const complexity = ctx.analysis.complexity;
      const byTier = [tierFit(0, complexity), tierFit(1, complexity), tierFit(2, complexity)];
      const tierOf = (ctx.table as NonNullable<typeof ctx.table>).tierOf;
      for (let k = 0; k < count; k++) out[offset + k] = byTier[tierOf[idx[k] as number] as number] as number;
    },
  );
}
