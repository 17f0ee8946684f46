import type { SpendStore } from '../learning/escalation-spend.js';
import type { OutcomeRecord } from '../learning/outcome.js';
import type { QualityStat } from '../learning/quality-stat.js';

export type { OutcomeRecord } from '../learning/outcome.js';

/**
 * Where learned statistics live between restarts. Contract:
 * - `loadStats` is called once at start; the router then works from memory.
 * - `appendOutcome` / `upsertStats` must not block the caller on disk: implementations queue the
 *   write and return a promise that resolves once it is durable ("acknowledged").
 * - `flush` resolves when everything queued so far is durable.
 * - Calls may interleave freely (a Redis store is async end to end).
 * - A store shared with other processes (Redis) offers `subscribe`: it calls `onStat` with the new
 *   value of each statistic that changed elsewhere, and the router replaces its copy with it.
 *   Returns the unsubscribe function.
 * - `addSpend` / `loadSpend` (SpendStore) keep each team's daily spend on escalation nodes.
 */
export interface StatsStore extends SpendStore {
  loadStats(): Promise<QualityStat[]>;
  appendOutcome(record: OutcomeRecord): Promise<void>;
  upsertStats(stats: readonly QualityStat[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  subscribe?(onStat: (stat: QualityStat) => void): () => void;
  /**
   * What the log holds for one route, oldest first (empty when nothing): how a router rebuilds a
   * route it no longer remembers (after a restart) so feedback on it still counts.
   */
  routeLog?(routeId: string): Promise<OutcomeRecord[]>;
}
