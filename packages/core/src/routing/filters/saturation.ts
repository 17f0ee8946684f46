import { NoRouteError } from '../../errors.js';
import type { Filter, RoutingContext } from '../plugin.js';

const why = (i: number, ctx: RoutingContext) => {
  const n = ctx.table.nodeOf[i] as number;
  const { inFlight, capacity, waiting } = ctx.live;
  return `saturated (${inFlight[n]}/${capacity[n]} in flight, ${waiting[n]} waiting)`;
};

/**
 * Removes candidates on nodes whose gateway queue is full (every slot busy and queueLimit
 * requests already waiting). A busy node with room in its queue stays: the wait is part of its
 * predicted finish time, and waiting for the right node often beats running now on the wrong
 * one. When this removes the last candidates the router answers 429 `saturated` (retry later)
 * instead of 503 `no_route` (nothing can serve this).
 */
export function saturationFilter(): Filter {
  return {
    name: 'saturation',
    filter(idx, count, ctx, removed) {
      const nodeOf = ctx.table.nodeOf;
      const { known, inFlight, capacity, waiting, queueLimit } = ctx.live;
      let kept = 0;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        const n = nodeOf[i] as number;
        if (
          known[n] === 0 ||
          (inFlight[n] as number) < (capacity[n] as number) ||
          (waiting[n] as number) < (queueLimit[n] as number)
        )
          idx[kept++] = i;
        else removed.add(i, why);
      }
      return kept;
    },
    whenEmpty: (removed) =>
      new NoRouteError(`All ${removed.length} remaining candidates are saturated`, {
        code: 'saturated',
        status: 429,
        hint: 'every node serving this model is busy and its queue is full; retry shortly',
      }),
  };
}
