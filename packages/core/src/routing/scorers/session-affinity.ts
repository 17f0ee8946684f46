import { type Scorer, valueScorer } from '../plugin.js';
import { loadRatio } from './load.js';

/** Same node but another model still shares the node's warm state, so it keeps some credit. */
const SAME_NODE_OTHER_MODEL = 0.6;
/** Above this load the pull of the session fades, reaching 0 at full load. */
const FADE_FROM_LOAD = 0.5;

/**
 * Keeps a conversation on the node × model that served it before (its prompt cache is there),
 * unless that node is getting busy: the bonus fades linearly from 50% load to 0 at 100%.
 * Down or saturated nodes are removed by filters before this runs. Neutral (0.5 for all)
 * when the request has no session or the session is new.
 */
export function sessionAffinityScorer(): Scorer {
  return valueScorer(
    'session-affinity',
    (candidate, ctx) => {
      const target = ctx.affinity;
      if (!target) return 0.5;
      if (target.nodeId !== candidate.nodeId) return 0;
      const base = target.modelId === candidate.modelId ? 1 : SAME_NODE_OTHER_MODEL;
      const load = loadRatio(ctx.nodeStates[candidate.nodeIndex]);
      return load <= FADE_FROM_LOAD ? base : (base * (1 - load)) / (1 - FADE_FROM_LOAD);
    },
    (candidate, score, ctx) => {
      if (!ctx.affinity) return 'no session history';
      if (ctx.affinity.nodeId !== candidate.nodeId) return `session last served on ${ctx.affinity.nodeId}`;
      return score < 0.6 ? 'session node, affinity faded by load' : 'session served here before';
    },
    undefined,
    (idx, count, ctx, out, offset) => {
      const target = ctx.affinity;
      if (!target) {
        out.fill(0.5, offset, offset + count);
        return;
      }
      const table = ctx.table as NonNullable<typeof ctx.table>;
      const load = (ctx.live as NonNullable<typeof ctx.live>).load;
      const node = table.nodeIndexOf(target.nodeId) ?? -1;
      const model = table.modelIndexOf(target.modelId) ?? -1;
      const { nodeOf, modelOf } = table;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        if (nodeOf[i] !== node) {
          out[offset + k] = 0;
          continue;
        }
        const base = modelOf[i] === model ? 1 : SAME_NODE_OTHER_MODEL;
        const l = load[node] as number;
        out[offset + k] = l <= FADE_FROM_LOAD ? base : (base * (1 - l)) / (1 - FADE_FROM_LOAD);
      }
    },
  );
}
