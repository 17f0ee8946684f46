import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ComplexityBand } from '../analysis/complexity.js';
import { BrokeError } from '../errors.js';
import { type QualityStat, statKey } from '../learning/quality-stat.js';
import type { OutcomeRecord, StatsStore } from './stats-store.js';

/** Outcome rows kept by default (about 200 MB of log at most). */
export const DEFAULT_MAX_OUTCOMES = 1_000_000;
const PRUNE_EVERY = 1_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outcomes (
  id INTEGER PRIMARY KEY,
  route_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  team TEXT NOT NULL,
  role TEXT NOT NULL,
  task_type TEXT NOT NULL,
  node_id TEXT NOT NULL,
  model_id TEXT NOT NULL,
  success INTEGER NOT NULL,
  reward REAL NOT NULL,
  latency_ms REAL,
  ttft_ms REAL,
  tokens INTEGER,
  error TEXT,
  band TEXT
);
CREATE INDEX IF NOT EXISTS outcomes_route ON outcomes(route_id);
CREATE TABLE IF NOT EXISTS quality_stats (
  team TEXT NOT NULL,
  role TEXT NOT NULL,
  task_type TEXT NOT NULL,
  model_id TEXT NOT NULL,
  band TEXT NOT NULL,
  alpha REAL NOT NULL,
  beta REAL NOT NULL,
  n INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (team, role, task_type, model_id, band)
) WITHOUT ROWID;
`;

/** Where a pre-band quality_stats table is kept after migration (see `migrate`). */
const LEGACY_STATS_TABLE = 'quality_stats_v1';

function columns(db: Database.Database, table: string): Set<string> {
  const rows = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  return new Set(rows.map((row) => row.name));
}

/**
 * Brings a database file to the current schema, in one IMMEDIATE transaction so two processes
 * opening the same old file do not both migrate it.
 *
 * quality_stats before complexity bands (no `band` column, key (team, role, task_type, model_id)):
 * the table is renamed to quality_stats_v1 and a new, empty quality_stats is created. The old
 * rows are kept for inspection but never loaded: they were not conditioned on prompt difficulty,
 * so they cannot be assigned to a band, and learning starts over per band.
 *
 * outcomes before bands: gains a nullable `band` column (old rows stay NULL).
 */
function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const stats = columns(db, 'quality_stats');
    if (stats.size > 0 && !stats.has('band')) {
      if (columns(db, LEGACY_STATS_TABLE).size > 0) {
        throw new BrokeError(
          'store_open_failed',
          `Stats database ${path} has a pre-band quality_stats table and a ${LEGACY_STATS_TABLE} table already`,
          { hint: `drop or rename ${LEGACY_STATS_TABLE} (sqlite3 ${path}) and start again` },
        );
      }
      db.exec(`ALTER TABLE quality_stats RENAME TO ${LEGACY_STATS_TABLE}`);
    }
    db.exec(SCHEMA);
    if (!columns(db, 'outcomes').has('band')) db.exec('ALTER TABLE outcomes ADD COLUMN band TEXT');
    if (!columns(db, 'outcomes').has('owner')) db.exec('ALTER TABLE outcomes ADD COLUMN owner TEXT');
  }).immediate();
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * SQLite-backed stats with write-behind batching.
 *
 * Writes are queued in memory and committed together in one transaction on the next turn of
 * the event loop, so `route()` never touches the disk and a burst of outcomes costs one fsync.
 * The promise returned by `appendOutcome` / `upsertStats` / `flush` resolves only after that
 * transaction has committed: that is what "acknowledged" means.
 *
 * WAL + synchronous=FULL: FULL syncs the WAL on every commit, so an acknowledged write survives
 * kill -9 and also power loss. (NORMAL would survive kill -9 too, since the OS keeps the WAL
 * pages, but could lose the last commits on power loss; batching makes FULL's fsync cheap.)
 */
export class SqliteStatsStore implements StatsStore {
  private readonly db: Database.Database;
  private readonly insertOutcome: Database.Statement;
  private readonly upsertStat: Database.Statement;
  private readonly commitBatch: (outcomes: OutcomeRecord[], stats: QualityStat[]) => void;
  private pendingOutcomes: OutcomeRecord[] = [];
  private pendingStats = new Map<string, QualityStat>();
  private waiters: Waiter[] = [];
  private scheduled = false;
  private closed = false;
  private readonly pruneOutcomes: Database.Statement;
  private readonly addSpendRow: Database.Statement;
  private sincePrune = 0;

  /**
   * `maxOutcomes`: the outcome log keeps the newest this many rows (the statistics, not the log,
   * are what routing reads; the log is for audit and replays), pruned every PRUNE_EVERY writes.
   */
  constructor(
    readonly path: string,
    readonly maxOutcomes = DEFAULT_MAX_OUTCOMES,
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path);
    } catch (cause) {
      throw new BrokeError('store_open_failed', `Cannot open stats database ${path}`, { cause });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db, path);
    this.insertOutcome = this.db.prepare(
      `INSERT INTO outcomes (route_id, kind, at, team, role, task_type, node_id, model_id, success, reward, latency_ms, ttft_ms, tokens, error, band, owner)
       VALUES (@routeId, @kind, @at, @team, @role, @taskType, @nodeId, @modelId, @success, @reward, @latencyMs, @ttftMs, @tokens, @error, @band, @owner)`,
    );
    this.upsertStat = this.db.prepare(
      `INSERT INTO quality_stats (team, role, task_type, model_id, band, alpha, beta, n, updated_at)
       VALUES (@team, @role, @taskType, @modelId, @band, @alpha, @beta, @n, @updatedAt)
       ON CONFLICT (team, role, task_type, model_id, band) DO UPDATE SET
         alpha = excluded.alpha, beta = excluded.beta, n = excluded.n, updated_at = excluded.updated_at`,
    );
    // Escalation spend per UTC day and team: one row each, added to in place.
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS escalation_spend (day TEXT NOT NULL, team TEXT NOT NULL, amount REAL NOT NULL, PRIMARY KEY (day, team)) WITHOUT ROWID',
    );
    this.addSpendRow = this.db.prepare(
      `INSERT INTO escalation_spend (day, team, amount) VALUES (?, ?, ?)
       ON CONFLICT (day, team) DO UPDATE SET amount = amount + excluded.amount RETURNING amount`,
    );
    this.pruneOutcomes = this.db.prepare(
      'DELETE FROM outcomes WHERE id <= (SELECT MAX(id) FROM outcomes) - @keep',
    );
    this.commitBatch = this.db.transaction((outcomes: OutcomeRecord[], stats: QualityStat[]) => {
      for (const record of outcomes) {
        this.insertOutcome.run({
          latencyMs: null,
          ttftMs: null,
          tokens: null,
          error: null,
          ...record,
          band: record.band ?? null,
          owner: record.owner ?? null,
          success: record.success ? 1 : 0,
        });
      }
      // The full new value is written (not added): discounting can make alpha and beta smaller.
      for (const stat of stats) this.upsertStat.run(stat);
      this.sincePrune += outcomes.length;
      if (this.sincePrune >= Math.min(PRUNE_EVERY, this.maxOutcomes)) {
        this.sincePrune = 0;
        this.pruneOutcomes.run({ keep: this.maxOutcomes });
      }
    });
  }

  async loadStats(): Promise<QualityStat[]> {
    const rows = this.db
      .prepare('SELECT team, role, task_type, model_id, band, alpha, beta, n, updated_at FROM quality_stats')
      .all() as Array<{
      team: string;
      role: string;
      task_type: QualityStat['taskType'];
      model_id: string;
      band: ComplexityBand;
      alpha: number;
      beta: number;
      n: number;
      updated_at: number;
    }>;
    return rows.map((row) => ({
      team: row.team,
      role: row.role,
      taskType: row.task_type,
      modelId: row.model_id,
      band: row.band,
      alpha: row.alpha,
      beta: row.beta,
      n: row.n,
      updatedAt: row.updated_at,
    }));
  }

  async routeLog(routeId: string): Promise<OutcomeRecord[]> {
    // Writes still queued for this route count too (they are not in the table yet).
    await this.flush();
    const rows = this.db
      .prepare(
        `SELECT route_id, kind, at, team, role, task_type, node_id, model_id, success, reward, latency_ms,
                ttft_ms, tokens, error, band, owner
         FROM outcomes WHERE route_id = ? ORDER BY id`,
      )
      .all(routeId) as Array<Record<string, unknown>>;
    return rows.map((row) => ({
      routeId: row.route_id as string,
      kind: row.kind as OutcomeRecord['kind'],
      at: row.at as number,
      team: row.team as string,
      role: row.role as string,
      taskType: row.task_type as OutcomeRecord['taskType'],
      nodeId: row.node_id as string,
      modelId: row.model_id as string,
      success: row.success === 1,
      reward: row.reward as number,
      ...(row.band !== null ? { band: row.band as ComplexityBand } : {}),
      ...(row.latency_ms !== null ? { latencyMs: row.latency_ms as number } : {}),
      ...(row.ttft_ms !== null ? { ttftMs: row.ttft_ms as number } : {}),
      ...(row.tokens !== null ? { tokens: row.tokens as number } : {}),
      ...(row.error !== null ? { error: row.error as string } : {}),
      ...(row.owner !== null ? { owner: row.owner as string } : {}),
    }));
  }

  appendOutcome(record: OutcomeRecord): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    this.pendingOutcomes.push({ ...record });
    return this.schedule();
  }

  upsertStats(stats: readonly QualityStat[]): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    // Only the latest value of each key needs writing; copies so later in-memory updates to the
    // same objects do not race with the queued write.
    for (const stat of stats) this.pendingStats.set(statKey(stat), { ...stat });
    return this.schedule();
  }

  /**
   * Written at once, not batched: escalations are rare and paid for, and the new total must
   * survive a crash right after the answer (a lost charge would let the budget be spent twice).
   */
  async addSpend(day: string, team: string, amount: number): Promise<number> {
    if (this.closed) throw closedError();
    return (this.addSpendRow.get(day, team, amount) as { amount: number }).amount;
  }

  async loadSpend(day: string): Promise<Record<string, number>> {
    const rows = this.db
      .prepare('SELECT team, amount FROM escalation_spend WHERE day = ?')
      .all(day) as Array<{
      team: string;
      amount: number;
    }>;
    return Object.fromEntries(rows.map((row) => [row.team, row.amount]));
  }

  flush(): Promise<void> {
    if (this.pendingOutcomes.length === 0 && this.pendingStats.size === 0 && !this.scheduled)
      return Promise.resolve();
    return this.schedule();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commitNow();
    this.closed = true;
    this.db.close();
  }

  /** Outcome rows stored so far (for tests and the CLI). */
  countOutcomes(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM outcomes').get() as { n: number }).n;
  }

  private schedule(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.commitNow());
      }
    });
  }

  private commitNow(): void {
    this.scheduled = false;
    const outcomes = this.pendingOutcomes;
    const stats = [...this.pendingStats.values()];
    const waiters = this.waiters;
    this.pendingOutcomes = [];
    this.pendingStats = new Map();
    this.waiters = [];
    if (outcomes.length === 0 && stats.length === 0) {
      for (const waiter of waiters) waiter.resolve();
      return;
    }
    try {
      this.commitBatch(outcomes, stats);
    } catch (cause) {
      const error = new BrokeError('store_write_failed', `Writing routing stats to ${this.path} failed`, {
        cause,
      });
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    for (const waiter of waiters) waiter.resolve();
  }
}

function closedError(): BrokeError {
  return new BrokeError('store_closed', 'The stats store is closed');
}
