import { COLD, WARM } from '../live-table.js';
import type { Factor } from '../plugin.js';

/** Load speed assumed for a cold model's weights (GiB per second) and the load without a size. */
const LOAD_GB_PER_SEC = 4;
const UNKNOWN_SIZE_LOAD_MS = 5000;

/** A model the node has not loaded pays its load time first (0 when warmth is unknown). */
export function coldLoadFactor(): Factor {
  return {
    name: 'cold-load',
    adds: 'time',
    estimate(idx, count, ctx, out) {
      const { memoryOf } = ctx.table;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        if (ctx.live.warmth(i) !== COLD) out[k] = 0;
        else {
          const gb = memoryOf[i] as number;
          out[k] = Number.isNaN(gb) ? UNKNOWN_SIZE_LOAD_MS : (gb * 1000) / LOAD_GB_PER_SEC;
        }
      }
    },
    // Warmth in words, so an explanation shows a loaded model as warm, not only as a 0 ms term.
    note: (candidate, term, ctx) => {
      const warmth = ctx.live.warmth(candidate.index);
      if (warmth === WARM) return 'warm: loaded on the node';
      if (warmth === COLD) return `cold: ~${Math.round(term)} ms to load`;
      return 'warmth unknown: the server does not say what it has loaded';
    },
  };
}
