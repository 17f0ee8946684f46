import type { Filter, RouteCandidate, RoutingContext } from '../plugin.js';

/** Why the candidate at table index `i` may not serve (undefined: it may). */
function unhealthy(i: number, ctx: RoutingContext): string | undefined {
  const candidate = ctx.table.candidates[i] as RouteCandidate;
  const state = ctx.nodeStates[candidate.nodeIndex];
  if (!state) return 'node unknown to the cluster monitor';
  if (!state.up) return 'node down';
  const validated = state.validatedModels;
  if (validated !== undefined && !validated.includes(candidate.modelId))
    return 'model not validated on this node';
  return undefined;
}

const why = (i: number, ctx: RoutingContext) => unhealthy(i, ctx) ?? 'node down';

/** Removes candidates on nodes the monitor marks down, and models not validated on the node. */
export function healthFilter(): Filter {
  return {
    name: 'health',
    filter(idx, count, ctx, removed) {
      const nodeOf = ctx.table.nodeOf;
      const up = ctx.live.up;
      // Per-model validation lists are rare: only then look past the node's up flag.
      const checkValidated = ctx.live.anyValidated;
      let kept = 0;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        const ok = up[nodeOf[i] as number] === 1 && (!checkValidated || unhealthy(i, ctx) === undefined);
        if (ok) idx[kept++] = i;
        else removed.add(i, why);
      }
      return kept;
    },
  };
}
