import type { Factor, RoutingContext } from '../plugin.js';
import { serviceMs } from './run-time.js';

/** Requests ahead of this one for a slot on the node (0 when a slot is free). */
export function aheadInQueue(ctx: RoutingContext, node: number): number {
  const { inFlight, waiting, capacity } = ctx.live;
  const ahead = (inFlight[node] as number) + (waiting[node] as number) - (capacity[node] as number) + 1;
  return Math.max(ahead, 0);
}

/**
 * Expected wait for a slot: the requests ahead, served `capacity` at a time, each taking about
 * as long as this one would. This is what lets a request wait for the right node when that is
 * worth it, instead of a busy node being filtered out.
 */
export function queueWaitFactor(): Factor {
  return {
    name: 'queue-wait',
    adds: 'time',
    estimate(idx, count, ctx, out) {
      const { nodeOf } = ctx.table;
      const { capacity } = ctx.live;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        const node = nodeOf[i] as number;
        const ahead = aheadInQueue(ctx, node);
        out[k] = ahead === 0 ? 0 : (ahead * serviceMs(i, ctx)) / Math.max(1, capacity[node] as number);
      }
    },
    note(candidate, term, ctx) {
      const ahead = aheadInQueue(ctx, candidate.nodeIndex);
      return ahead === 0 ? 'a slot is free' : `${ahead} ahead in the queue: ~${Math.round(term)} ms`;
    },
  };
}
