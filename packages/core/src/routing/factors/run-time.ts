import type { PerfEstimate } from '../../cluster/node-state.js';
import type { PerfTable } from '../perf-cache.js';
import type { Factor, RoutingContext } from '../plugin.js';

/** Speed assumed per tier before any measurement or baseline exists. */
export const DEFAULT_PERF: ReadonlyArray<Omit<PerfEstimate, 'samples'>> = [
  { ttftMs: 300, decodeTokensPerSec: 60 },
  { ttftMs: 700, decodeTokensPerSec: 30 },
  { ttftMs: 1500, decodeTokensPerSec: 12 },
];

/** Other requests the node will be serving while this one runs (it starts when a slot frees). */
export function othersAtStart(ctx: RoutingContext, node: number): number {
  const { inFlight, waiting, capacity } = ctx.live;
  const busy = (inFlight[node] as number) + (waiting[node] as number);
  const most = Math.max((capacity[node] as number) - 1, 0);
  return Math.min(busy, most);
}

/**
 * Milliseconds from the start of service to the last token for candidate `i`: time to first
 * token plus the expected reply at the decode rate, slowed by the requests served beside it
 * (batchSlowdown per extra request). Speeds are measured online (per unit of load, see
 * Router.recordOutcome), seeded by benchmarks, tier defaults before that.
 */
export function serviceMs(i: number, ctx: RoutingContext): number {
  const { perfTable, table } = ctx;
  let ttft: number;
  let decode: number;
  if (perfTable.measured[i] === 1) {
    ttft = perfTable.ttftMs[i] as number;
    decode = perfTable.decodeTokensPerSec[i] as number;
    if (!(decode > 0)) decode = priorDecode(table.tierOf[i] as number, perfTable);
    // Prefill grows with the prompt: with a measured prefill speed, the TTFT is this prompt's
    // prefill (never under a quarter of the typical TTFT: fixed overheads stay).
    const prefill = perfTable.prefillTokensPerSec[i] as number;
    if (prefill > 0) ttft = Math.max(ttft * 0.25, (ctx.analysis.promptTokens * 1000) / prefill);
  } else {
    const tier = table.tierOf[i] as number;
    const best = perfTable.bestTtftMs[tier] as number;
    const fallback = (DEFAULT_PERF[tier] as PerfEstimate).ttftMs;
    ttft = best > 0 && best < fallback ? best : fallback;
    decode = priorDecode(tier, perfTable);
  }
  const node = table.nodeOf[i] as number;
  const slowdown = 1 + (table.batchSlowdown[node] as number) * othersAtStart(ctx, node);
  return ttft + (ctx.expectedOutputTokens * 1000 * slowdown) / (decode > 0 ? decode : 1);
}

/**
 * Decode speed assumed before one is measured: the tier's default, or the fastest measured on a
 * model of this tier or larger when that is faster (see PerfTable.bestDecodeTokensPerSec).
 */
function priorDecode(tier: number, perfTable: PerfTable): number {
  const best = perfTable.bestDecodeTokensPerSec[tier] as number;
  const fallback = (DEFAULT_PERF[tier] as PerfEstimate).decodeTokensPerSec;
  return Math.max(best, fallback);
}

/** Time to serve the request once it has a slot. */
export function runTimeFactor(): Factor {
  return {
    name: 'run-time',
    adds: 'time',
    estimate(idx, count, ctx, out) {
      const { perfTable, table } = ctx;
      // The common case inline (measured speed, no prefill rate): thousands of candidates per route.
      const tokensMs = ctx.expectedOutputTokens * 1000;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        if (
          perfTable.measured[i] === 1 &&
          perfTable.prefillTokensPerSec[i] === 0 &&
          (perfTable.decodeTokensPerSec[i] as number) > 0
        ) {
          const node = table.nodeOf[i] as number;
          const decode = perfTable.decodeTokensPerSec[i] as number;
          const slowdown = 1 + (table.batchSlowdown[node] as number) * othersAtStart(ctx, node);
          out[k] = (perfTable.ttftMs[i] as number) + (tokensMs * slowdown) / (decode > 0 ? decode : 1);
        } else out[k] = serviceMs(i, ctx);
      }
    },
    note(candidate, term, ctx) {
      const source =
        ctx.perfTable.measured[candidate.index] === 1
          ? 'measured speed'
          : 'not measured yet: the tier default, or the fastest measured on a model this size or larger';
      const others = othersAtStart(ctx, candidate.nodeIndex);
      const beside = others > 0 ? `, ${others} other request(s) beside it` : '';
      return `${Math.round(term)} ms for ~${ctx.expectedOutputTokens} tokens (${source}${beside})`;
    },
  };
}
