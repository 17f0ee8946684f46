import { COLD, WARM } from '../live-table.js';
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
    undefined,
    (idx, count, ctx, out, offset) => {
      const live = ctx.live as NonNullable<typeof ctx.live>;
      for (let k = 0; k < count; k++) {
        const warmth = live.warmth(idx[k] as number);
        out[offset + k] = warmth === WARM ? 1 : warmth === COLD ? 0 : UNKNOWN_WARMTH;
      }
    },
  );
}
