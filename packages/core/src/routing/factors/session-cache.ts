import type { Factor } from '../plugin.js';
import { DEFAULT_PERF } from './run-time.js';

/** Share of the time to first token a warm prompt cache saves on a follow-up turn. */
const CACHED_PREFILL_SHARE = 0.5;

/**
 * A conversation's earlier turns are in the prompt cache of the node × model that served it:
 * going back there saves part of the prefill (a negative time term).
 */
export function sessionCacheFactor(): Factor {
  return {
    name: 'session-cache',
    adds: 'time',
    estimate(idx, count, ctx, out) {
      const target = ctx.affinity;
      if (!target) {
        out.fill(0, 0, count);
        return;
      }
      const { table, perfTable } = ctx;
      const node = table.nodeIndexOf(target.nodeId) ?? -1;
      const model = table.modelIndexOf(target.modelId) ?? -1;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        if (table.nodeOf[i] !== node || table.modelOf[i] !== model) out[k] = 0;
        else {
          const ttft =
            perfTable.measured[i] === 1
              ? (perfTable.ttftMs[i] as number)
              : (DEFAULT_PERF[table.tierOf[i] as number]?.ttftMs ?? 0);
          out[k] = -CACHED_PREFILL_SHARE * ttft;
        }
      }
    },
    note: (_candidate, term) => (term < 0 ? 'session served here before: prompt cache is warm' : undefined),
  };
}
