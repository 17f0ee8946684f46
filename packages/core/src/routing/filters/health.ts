import { type Filter, predicateFilter } from '../plugin.js';

/** Removes candidates on nodes the monitor marks down, and models not validated on the node. */
export function healthFilter(): Filter {
  return predicateFilter('health', (candidate, ctx) => {
    const state = ctx.nodeStates[candidate.nodeIndex];
    if (!state) return 'node unknown to the cluster monitor';
    if (!state.up) return 'node down';
    const validated = state.validatedModels;
    if (validated !== undefined && !validated.includes(candidate.modelId))
      return 'model not validated on this node';
    return undefined;
  });
}
