import { type Filter, predicateFilter } from '../plugin.js';

/** A cold model needs its size plus this share free before we ask a node to load it. */
const HEADROOM = 1.1;

/**
 * Removes cold models that would not fit in the node's memory. Loaded models always pass (they
 * are already resident); unknown sizes or unknown memory pass (we only act on what we observe).
 */
export function memoryHeadroomFilter(): Filter {
  return predicateFilter('memory-headroom', (candidate, ctx) => {
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
  });
}
