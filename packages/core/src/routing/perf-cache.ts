import type { ClusterView, PerfEstimate } from '../cluster/node-state.js';
import type { CandidateTable } from './candidate-table.js';

/** Speed estimates by candidate index as flat arrays (measured[i] = 0: no estimate yet). */
export interface PerfTable {
  ttftMs: Float64Array;
  decodeTokensPerSec: Float64Array;
  /** Prefill tokens/s; 0 when not measured. */
  prefillTokensPerSec: Float64Array;
  measured: Uint8Array;
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
  }

  refreshAll(): void {
    for (let i = 0; i < this.entries.length; i++) this.refresh(i);
  }
}
