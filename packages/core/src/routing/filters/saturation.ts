import { NoRouteError } from '../../errors.js';
import { type Filter, predicateFilter } from '../plugin.js';

/**
 * Removes candidates on saturated nodes (inFlight >= capacity). This filter, not the load
 * scorer, decides saturation: when it removes the last candidates the router answers 429
 * `saturated` (retry later) instead of 503 `no_route` (nothing can serve this).
 */
export function saturationFilter(): Filter {
  const filter = predicateFilter('saturation', (candidate, ctx) => {
    const state = ctx.nodeStates[candidate.nodeIndex];
    if (!state || state.inFlight < state.capacity) return undefined;
    return `saturated (${state.inFlight}/${state.capacity} in flight)`;
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
