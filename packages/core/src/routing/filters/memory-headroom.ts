import { HEADROOM } from '../../cluster/memory-headroom.js';
import { WARM } from '../live-table.js';
import type { Filter, RoutingContext } from '../plugin.js';

/** Why the cold model at table index `i` does not fit (only called for removed candidates). */
const why = (i: number, ctx: RoutingContext) => {
  const n = ctx.table.nodeOf[i] as number;
  const need = ctx.table.memoryOf[i] as number;
  const total = ctx.live.memTotal[n] as number;
  const free = ctx.live.memFree[n] as number;
  if (need > total) return `model needs ${need} GiB, node has ${total} GiB`;
  if (free < need * HEADROOM) return `cold model needs ${need} GiB, ${free} GiB free`;
  return 'memory pressure critical, cannot load a cold model';
};

/**
 * Removes cold models that would not fit in the node's memory. Loaded models always pass (they
 * are already resident); unknown sizes or unknown memory pass (we only act on what we observe).
 */
export function memoryHeadroomFilter(): Filter {
  return {
    name: 'memory-headroom',
    filter(idx, count, ctx, removed) {
      const { nodeOf, memoryOf } = ctx.table;
      const live = ctx.live;
      const { memTotal, memFree, critical } = live;
      let kept = 0;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        const need = memoryOf[i] as number;
        let ok = true;
        // NaN (unknown) comparisons are false, so unknown sizes and memory pass.
        if (!Number.isNaN(need) && live.warmth(i) !== WARM) {
          const n = nodeOf[i] as number;
          ok =
            !(need > (memTotal[n] as number)) &&
            !((memFree[n] as number) < need * HEADROOM) &&
            critical[n] !== 1;
        }
        if (ok) idx[kept++] = i;
        else removed.add(i, why);
      }
      return kept;
    },
  };
}
