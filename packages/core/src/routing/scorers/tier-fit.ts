import { tierFit } from '../../learning/cold-start.js';
import { type Scorer, valueScorer } from '../plugin.js';

/** Prefers model tiers that match the prompt's complexity (small for easy, large for hard). */
export function tierFitScorer(): Scorer {
  return valueScorer(
    'tier-fit',
    (candidate, ctx) => tierFit(candidate.tierRank, ctx.analysis.complexity),
    (candidate, _score, ctx) =>
      `${candidate.model.tier} model for complexity ${ctx.analysis.complexity.toFixed(2)}`,
  );
}
