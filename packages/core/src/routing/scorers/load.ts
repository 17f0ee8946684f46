import type { NodeState } from '../../cluster/node-state.js';
import { type Scorer, valueScorer } from '../plugin.js';

/** Busy share of a node: (in flight + queued) / capacity, 0..1. */
export function loadRatio(state: NodeState | undefined): number {
  if (!state) return 0;
  const ratio = (state.inFlight + state.queued) / Math.max(1, state.capacity);
  return Math.min(ratio, 1);
}

/** Prefers idle nodes: 1 when idle, 0 when everything is busy or queued. */
export function loadScorer(): Scorer {
  return valueScorer(
    'load',
    (candidate, ctx) => 1 - loadRatio(ctx.nodeStates[candidate.nodeIndex]),
    (candidate, _score, ctx) => {
      const state = ctx.nodeStates[candidate.nodeIndex];
      return state
        ? `${state.inFlight} in flight, ${state.queued} queued, capacity ${state.capacity}`
        : undefined;
    },
    undefined,
    (idx, count, ctx, out, offset) => {
      const nodeOf = (ctx.table as NonNullable<typeof ctx.table>).nodeOf;
      const load = (ctx.live as NonNullable<typeof ctx.live>).load;
      for (let k = 0; k < count; k++)
        out[offset + k] = 1 - (load[nodeOf[idx[k] as number] as number] as number);
    },
  );
}
