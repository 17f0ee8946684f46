import type { PerfEstimate } from '../../cluster/node-state.js';
import { type RouteCandidate, type RoutingContext, type Scorer, valueScorer } from '../plugin.js';

/** Speed assumed per tier before any measurement or baseline exists. */
const DEFAULT_PERF: ReadonlyArray<Omit<PerfEstimate, 'samples'>> = [
  { ttftMs: 300, decodeTokensPerSec: 60 },
  { ttftMs: 700, decodeTokensPerSec: 30 },
  { ttftMs: 1500, decodeTokensPerSec: 12 },
];

/** Expected milliseconds to finish: time to first token plus decoding the expected reply. */
export function expectedLatencyMs(candidate: RouteCandidate, ctx: RoutingContext): number {
  const table = ctx.perfTable;
  if (table && table.measured[candidate.index] === 1) {
    const decode = table.decodeTokensPerSec[candidate.index] as number;
    return (
      (table.ttftMs[candidate.index] as number) +
      (ctx.expectedOutputTokens * 1000) / (decode > 0 ? decode : 1)
    );
  }
  const perf = ctx.perf[candidate.index] ?? (DEFAULT_PERF[candidate.tierRank] as PerfEstimate);
  const decode = perf.decodeTokensPerSec > 0 ? perf.decodeTokensPerSec : 1;
  return perf.ttftMs + (ctx.expectedOutputTokens * 1000) / decode;
}

/**
 * Relative speed: the fastest remaining candidate scores 1, one twice as slow 0.5. Uses the
 * cluster's measured TTFT and tokens/s (EWMA, seeded from benchmarks), tier defaults otherwise.
 */
export function expectedLatencyScorer(): Scorer {
  let fastest = 1;
  // Computed once per candidate in prepare, read back by value.
  let expectedByIndex: Float64Array = new Float64Array(0);
  return valueScorer(
    'expected-latency',
    (candidate) => {
      const expected = expectedByIndex[candidate.index] as number;
      return expected <= fastest ? 1 : fastest / expected;
    },
    (candidate, _score, ctx) => {
      const measured = ctx.perf[candidate.index] ? 'measured' : 'tier default';
      return `~${Math.round(expectedLatencyMs(candidate, ctx))} ms for ${ctx.expectedOutputTokens} tokens (${measured})`;
    },
    (candidates, ctx) => {
      fastest = Number.POSITIVE_INFINITY;
      for (const candidate of candidates) {
        if (candidate.index >= expectedByIndex.length)
          expectedByIndex = grow(expectedByIndex, candidate.index + 1);
        const expected = expectedLatencyMs(candidate, ctx);
        expectedByIndex[candidate.index] = expected;
        if (expected < fastest) fastest = expected;
      }
      if (!(fastest > 0)) fastest = 1;
    },
    (idx, count, ctx, out, offset) => {
      const table = ctx.table as NonNullable<typeof ctx.table>;
      const perf = ctx.perfTable;
      const tokensMs = ctx.expectedOutputTokens * 1000;
      let best = Number.POSITIVE_INFINITY;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        let expected: number;
        if (perf && perf.measured[i] === 1) {
          const decode = perf.decodeTokensPerSec[i] as number;
          expected = (perf.ttftMs[i] as number) + tokensMs / (decode > 0 ? decode : 1);
        } else expected = expectedLatencyMs(table.candidates[i] as RouteCandidate, ctx);
        out[offset + k] = expected;
        if (expected < best) best = expected;
      }
      if (!(best > 0)) best = 1;
      for (let k = 0; k < count; k++) {
        const expected = out[offset + k] as number;
        out[offset + k] = expected <= best ? 1 : best / expected;
      }
    },
  );
}

function grow(array: Float64Array, size: number): Float64Array {
  const grown = new Float64Array(Math.max(size, array.length * 2));
  grown.set(array);
  return grown;
}
