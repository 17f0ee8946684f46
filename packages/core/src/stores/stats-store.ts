import type { ComplexityBand } from '../analysis/complexity.js';
import type { TaskType } from '../context/agent-context.js';
import type { QualityStat } from '../learning/quality-stat.js';

/** One recorded outcome or feedback, as appended to the log. */
export interface OutcomeRecord {
  routeId: string;
  kind: 'outcome' | 'feedback';
  at: number;
  team: string;
  role: string;
  taskType: TaskType;
  nodeId: string;
  modelId: string;
  /** Difficulty band of the prompt (absent in records written before bands existed). */
  band?: ComplexityBand;
  success: boolean;
  /** Reward folded into the statistics (0..1). */
  reward: number;
  latencyMs?: number;
  ttftMs?: number;
  tokens?: number;
  error?: string;
  /** Who made the route, when API keys are configured (a key digest; see RouteRequest.owner). */
  owner?: string;
}

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
 */
export interface StatsStore {
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
