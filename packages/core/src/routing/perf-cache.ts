import type { ClusterView, PerfEstimate } from '../cluster/node-state.js';
import type { CandidateTable } from './candidate-table.js';
import { DEFAULT_PERF } from './factors/run-time.js';

/** Speed estimates by candidate index as flat arrays (measured[i] = 0: no estimate yet). */
export interface PerfTable {
  ttftMs: Float64Array;
  decodeTokensPerSec: Float64Array;
  /** Prefill tokens/s; 0 when not measured. */
  prefillTokensPerSec: Float64Array;
  measured: Uint8Array;
  /**
   * By tier rank: the best TTFT and decode speed a candidate of that tier could have, judged from
   * the fastest measured on that tier or a larger one, scaled by the tier defaults' ratio (a
   * smaller model decodes faster on the same machine; 0: none measured yet). An unmeasured
   * candidate is assumed that fast, an optimistic prior: it gets tried and measured instead of
   * looking slow forever next to measured fast machines, and one measurement corrects it.
   */
  bestTtftMs: Float64Array;
  bestDecodeTokensPerSec: Float64Array;
}

/** Entries re-read from the cluster per route; bounds the per-route cost (a string key each). */
const REFRESH_PER_ROUTE = 8;

/**
 * Speed estimates by candidate index. ClusterView.perf builds a string key per call, too slow
 * for thousands of candidates per route, so each route re-reads only the next 8 entries
 * (round robin) and outcomes refresh their own entry at once. On a cluster with N candidates an
 * external seedPerf is visible after at most N/8 routes.
 */
export class PerfCache {
  readonly entries: Array<PerfEstimate | undefined>;
  /** The same numbers in flat arrays: scoring thousands of candidates stays cache-friendly. */
  readonly flat: PerfTable;
  private cursor = 0;

  constructor(
    private readonly table: CandidateTable,
    private readonly cluster: ClusterView,
  ) {
    const size = table.candidates.length;
    this.entries = new Array(size).fill(undefined);
    this.flat = {
      ttftMs: new Float64Array(size),
      decodeTokensPerSec: new Float64Array(size),
      prefillTokensPerSec: new Float64Array(size),
      measured: new Uint8Array(size),
      bestTtftMs: new Float64Array(3),
      bestDecodeTokensPerSec: new Float64Array(3),
    };
    this.refreshAll();
  }

  refreshSome(): void {
    const size = this.entries.length;
    for (let i = 0; i < REFRESH_PER_ROUTE && i < size; i++) {
      this.refresh(this.cursor);
      this.cursor = this.cursor + 1 === size ? 0 : this.cursor + 1;
    }
  }

  refresh(index: number): void {
    const candidate = this.table.candidates[index];
    if (!candidate) return;
    const perf = this.cluster.perf(candidate.nodeId, candidate.modelId);
    this.entries[index] = perf;
    this.flat.measured[index] = perf ? 1 : 0;
    this.flat.ttftMs[index] = perf?.ttftMs ?? 0;
    // 0: no decode speed measured yet (only a TTFT); the run-time factor falls back to the tier's.
    this.flat.decodeTokensPerSec[index] = perf && perf.decodeMeasured !== false ? perf.decodeTokensPerSec : 0;
    this.flat.prefillTokensPerSec[index] = perf?.prefillTokensPerSec ?? 0;
    if (perf) this.noteBest(candidate.tierRank, perf.ttftMs, this.flat.decodeTokensPerSec[index] as number);
  }

  /** Keeps the best speeds per tier (they only improve: an optimistic prior for the unmeasured). */
  private noteBest(tierRank: number, ttftMs: number, decode: number): void {
    const { bestTtftMs, bestDecodeTokensPerSec } = this.flat;
    const measuredTier = DEFAULT_PERF[tierRank];
    if (!measuredTier) return;
    for (let t = 0; t <= tierRank && t < bestTtftMs.length; t++) {
      const tier = DEFAULT_PERF[t] as (typeof DEFAULT_PERF)[number];
      const ttft = (ttftMs * tier.ttftMs) / measuredTier.ttftMs;
      const rate = (decode * tier.decodeTokensPerSec) / measuredTier.decodeTokensPerSec;
      if (ttft > 0 && (bestTtftMs[t] === 0 || ttft < (bestTtftMs[t] as number))) bestTtftMs[t] = ttft;
      if (rate > (bestDecodeTokensPerSec[t] as number)) bestDecodeTokensPerSec[t] = rate;
    }
  }

  refreshAll(): void {
    for (let i = 0; i < this.entries.length; i++) this.refresh(i);
  }
}
