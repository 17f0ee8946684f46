import { type Filter, fastFilter, type RouteCandidate, type RoutingContext } from '../plugin.js';

/** Removes nodes cooling down after a failure (NodeState.cooldownUntil in the future). */
export function cooldownFilter(): Filter {
  const reason = (candidate: RouteCandidate, ctx: RoutingContext) => {
    const until = ctx.nodeStates[candidate.nodeIndex]?.cooldownUntil ?? 0;
    return until > ctx.now ? `cooling down for ${Math.ceil(until - ctx.now)} ms` : undefined;
  };
  return fastFilter('cooldown', reason, (idx, count, ctx, removed) => {
    const nodeOf = ctx.table.nodeOf;
    const until = ctx.live.cooldownUntil;
    const now = ctx.now;
    let kept = 0;
    for (let k = 0; k < count; k++) {
      const i = idx[k] as number;
      if ((until[nodeOf[i] as number] as number) <= now) idx[kept++] = i;
      else removed.push(i);
    }
    return kept;
  });
}
