import { type Scorer, valueScorer } from '../plugin.js';

/** Score when the driver cannot see which models are loaded. */
const UNKNOWN_WARMTH = 0.5;

/** Prefers models already loaded on the node; a cold model pays its load time first. */
export function warmModelScorer(): Scorer {
  return valueScorer(
    'warm-model',
    (candidate, ctx) => {
      const loaded = ctx.nodeStates[candidate.nodeIndex]?.loadedModels;
      if (loaded === undefined) return UNKNOWN_WARMTH;
      return loaded.includes(candidate.modelId) ? 1 : 0;
    },
    (_candidate, score) =>
      score === 1 ? 'loaded' : score === 0 ? 'cold: must load first' : 'warmth unknown',
  );
}
