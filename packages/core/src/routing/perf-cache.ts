import type { ClusterView, PerfEstimate } from '../cluster/node-state.js';
import type { CandidateTable } from './candidate-table.js';

/** Entries re-read from the cluster per route; bounds the per-route cost on big clusters. */
const REFRESH_PER_ROUTE = 64;

/**
 * Speed estimates by candidate index. ClusterView.perf builds a string key per call, too slow
 * for thousands of candidates per route, so each route re-reads only the next 64 entries
 * (round robin) and outcomes refresh their own entry at once. On a cluster with N candidates an
 * external seedPerf is visible after at most N/64 routes.
 */
export class PerfCache {
  readonly entries: Array<PerfEstimate | undefined>;
  private cursor = 0;

  constructor(
    private readonly table: CandidateTable,
    private readonly cluster: ClusterView,
  ) {
    this.entries = new Array(table.candidates.length).fill(undefined);
    this.refreshAll();
  }

  refreshSome(): void {
    const size = this.entries.length;
    if (size <= REFRESH_PER_ROUTE) {
      this.refreshAll();
      return;
    }
    for (let i = 0; i < REFRESH_PER_ROUTE; i++) {
      this.refresh(this.cursor);
      this.cursor = this.cursor + 1 === size ? 0 : this.cursor + 1;
    }
  }

  refresh(index: number): void {
    const candidate = this.table.candidates[index];
    if (candidate) this.entries[index] = this.cluster.perf(candidate.nodeId, candidate.modelId);
  }

  refreshAll(): void {
    for (let i = 0; i < this.entries.length; i++) this.refresh(i);
  }
}
