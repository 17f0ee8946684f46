import { NoRouteError } from '../../errors.js';
import { type Filter, fastFilter, type RouteCandidate, type RoutingContext } from '../plugin.js';

/**
 * Removes candidates on saturated nodes (inFlight >= capacity). This filter, not the load
 * scorer, decides saturation: when it removes the last candidates the router answers 429
 * `saturated` (retry later) instead of 503 `no_route` (nothing can serve this).
 */
export function saturationFilter(): Filter {
  const reason = (candidate: RouteCandidate, ctx: RoutingContext) => {
    const state = ctx.nodeStates[candidate.nodeIndex];
    if (!state || state.inFlight < state.capacity) return undefined;
    return `saturated (${state.inFlight}/${state.capacity} in flight)`;
  };
  const filter = fastFilter('saturation', reason, (idx, count, ctx, removed) => {
    const nodeOf = (ctx.table as NonNullable<RoutingContext['table']>).nodeOf;
    const { known, inFlight, capacity } = ctx.live as NonNullable<RoutingContext['live']>;
    let kept = 0;
    for (let k = 0; k < count; k++) {
      const i = idx[k] as number;
      const n = nodeOf[i] as number;
      if (known[n] === 0 || (inFlight[n] as number) < (capacity[n] as number)) idx[kept++] = i;
      else removed.push(i);
    }
    return kept;
  });
  return {
    ...filter,
    whenEmpty: (removed) =>
      new NoRouteError(`All ${removed.length} remaining candidates are saturated`, {
        code: 'saturated',
        status: 429,
        hint: 'every node serving this model is at maxConcurrency; retry shortly',
      }),
  };
}
