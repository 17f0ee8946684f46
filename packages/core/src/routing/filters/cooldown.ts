import { type Filter, predicateFilter } from '../plugin.js';

/** Removes nodes cooling down after a failure (NodeState.cooldownUntil in the future). */
export function cooldownFilter(): Filter {
  return predicateFilter('cooldown', (candidate, ctx) => {
    const until = ctx.nodeStates[candidate.nodeIndex]?.cooldownUntil ?? 0;
    return until > ctx.now ? `cooling down for ${Math.ceil(until - ctx.now)} ms` : undefined;
  });
}
