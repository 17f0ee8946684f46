import { type Filter, fastFilter, type RouteCandidate, type RoutingContext } from '../plugin.js';

/** Removes candidates on nodes the monitor marks down, and models not validated on the node. */
export function healthFilter(): Filter {
  const reason = (candidate: RouteCandidate, ctx: RoutingContext) => {
    const state = ctx.nodeStates[candidate.nodeIndex];
    if (!state) return 'node unknown to the cluster monitor';
    if (!state.up) return 'node down';
    const validated = state.validatedModels;
    if (validated !== undefined && !validated.includes(candidate.modelId))
      return 'model not validated on this node';
    return undefined;
  };
  return fastFilter('health', reason, (idx, count, ctx, removed) => {
    const table = ctx.table;
    const live = ctx.live;
    const nodeOf = table.nodeOf;
    const up = live.up;
    const checkValidated = live.anyValidated;
    let kept = 0;
    for (let k = 0; k < count; k++) {
      const i = idx[k] as number;
      const ok =
        up[nodeOf[i] as number] === 1 &&
        (!checkValidated || reason(table.candidates[i] as RouteCandidate, ctx) === undefined);
      if (ok) idx[kept++] = i;
      else removed.push(i);
    }
    return kept;
  });
}
