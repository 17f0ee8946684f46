import type { Filter, RoutingContext } from '../plugin.js';

const why = (i: number, ctx: RoutingContext) => {
  const until = ctx.live.cooldownUntil[ctx.table.nodeOf[i] as number] as number;
  return `cooling down for ${Math.ceil(until - ctx.now)} ms`;
};

/** Removes nodes cooling down after a failure (NodeState.cooldownUntil in the future). */
export function cooldownFilter(): Filter {
  return {
    name: 'cooldown',
    filter(idx, count, ctx, removed) {
      const nodeOf = ctx.table.nodeOf;
      const until = ctx.live.cooldownUntil;
      const now = ctx.now;
      let kept = 0;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        if ((until[nodeOf[i] as number] as number) <= now) idx[kept++] = i;
        else removed.add(i, why);
      }
      return kept;
    },
  };
}
