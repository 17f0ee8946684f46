import { WARM } from '../live-table.js';
import { type Filter, fastFilter, type RouteCandidate, type RoutingContext } from '../plugin.js';

/** A cold model needs its size plus this share free before we ask a node to load it. */
const HEADROOM = 1.1;

/**
 * Removes cold models that would not fit in the node's memory. Loaded models always pass (they
 * are already resident); unknown sizes or unknown memory pass (we only act on what we observe).
 */
export function memoryHeadroomFilter(): Filter {
  const reason = (candidate: RouteCandidate, ctx: RoutingContext) => {
    const state = ctx.nodeStates[candidate.nodeIndex];
    if (state?.loadedModels?.includes(candidate.modelId)) return undefined;
    const need = candidate.model.memoryGb;
    if (need === undefined) return undefined;
    const total = state?.memory?.totalGb ?? candidate.node.memoryGb;
    if (total !== undefined && need > total) return `model needs ${need} GiB, node has ${total} GiB`;
    const free = state?.memory?.freeGb;
    if (free !== undefined && free < need * HEADROOM) return `cold model needs ${need} GiB, ${free} GiB free`;
    if (state?.memory?.pressure === 'critical') return 'memory pressure critical, cannot load a cold model';
    return undefined;
  };
  return fastFilter('memory-headroom', reason, (idx, count, ctx, removed) => {
    const table = ctx.table;
    const live = ctx.live;
    const { nodeOf, memoryOf } = table;
    const { memTotal, memFree, critical } = live;
    let kept = 0;
    for (let k = 0; k < count; k++) {
      const i = idx[k] as number;
      const need = memoryOf[i] as number;
      let ok = true;
      // Same rules as reason(), on flat arrays: NaN (unknown) comparisons are false, so pass.
      if (!Number.isNaN(need) && live.warmth(i) !== WARM) {
        const n = nodeOf[i] as number;
        ok =
          !(need > (memTotal[n] as number)) &&
          !((memFree[n] as number) < need * HEADROOM) &&
          critical[n] !== 1;
      }
      if (ok) idx[kept++] = i;
      else removed.push(i);
    }
    return kept;
  });
}
