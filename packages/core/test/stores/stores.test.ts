import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { QualityStat } from '../../src/learning/quality-stat.js';
import { MemoryStatsStore, SqliteStatsStore } from '../../src/stores/index.js';
import type { OutcomeRecord, StatsStore } from '../../src/stores/stats-store.js';

const stat: QualityStat = {
  team: 't',
  role: 'coder',
  taskType: 'code',
  modelId: 'm',
  band: 'medium',
  alpha: 3.5,
  beta: 1.5,
  n: 5,
  updatedAt: 1,
};
const record: OutcomeRecord = {
  routeId: 'r-1',
  kind: 'outcome',
  at: 1,
  team: 't',
  role: 'coder',
  taskType: 'code',
  nodeId: 'a',
  modelId: 'm',
  band: 'medium',
  success: true,
  reward: 1,
  latencyMs: 120,
};

async function roundTrip(open: () => StatsStore, reopen: () => StatsStore) {
  const store = open();
  await Promise.all([store.appendOutcome(record), store.upsertStats([stat])]);
  await store.upsertStats([{ ...stat, alpha: 4.5, n: 6 }]);
  await store.flush();
  await store.close();
  const again = reopen();
  expect(await again.loadStats()).toEqual([{ ...stat, alpha: 4.5, n: 6 }]);
  await again.close();
}

/** Two statistics with the same (team, role, taskType, model) in different bands. */
const low: QualityStat = { ...stat, band: 'low', alpha: 9, beta: 1, n: 10, updatedAt: 2 };
const high: QualityStat = { ...stat, band: 'high', alpha: 1, beta: 4, n: 5, updatedAt: 3 };

function byBand(stats: QualityStat[]): QualityStat[] {
  return [...stats].sort((a, b) => a.band.localeCompare(b.band));
}

async function keepsBandsApart(open: () => StatsStore, reopen: () => StatsStore) {
  const store = open();
  await store.upsertStats([low, high]);
  // Updating one band leaves the other alone.
  await store.upsertStats([{ ...low, alpha: 10, n: 11 }]);
  await store.close();
  const again = reopen();
  expect(byBand(await again.loadStats())).toEqual([high, { ...low, alpha: 10, n: 11 }]);
  await again.close();
}

function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'broke-store-')), 'stats.db');
}

/** A database file as versions before complexity bands left it. */
function createPreBandDb(path: string): void {
  const db = new Database(path);
  db.exec(`
    CREATE TABLE outcomes (
      id INTEGER PRIMARY KEY, route_id TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,
      team TEXT NOT NULL, role TEXT NOT NULL, task_type TEXT NOT NULL, node_id TEXT NOT NULL,
      model_id TEXT NOT NULL, success INTEGER NOT NULL, reward REAL NOT NULL, latency_ms REAL,
      ttft_ms REAL, tokens INTEGER, error TEXT
    );
    CREATE INDEX outcomes_route ON outcomes(route_id);
    CREATE TABLE quality_stats (
      team TEXT NOT NULL, role TEXT NOT NULL, task_type TEXT NOT NULL, model_id TEXT NOT NULL,
      alpha REAL NOT NULL, beta REAL NOT NULL, n INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      PRIMARY KEY (team, role, task_type, model_id)
    ) WITHOUT ROWID;
    INSERT INTO outcomes (route_id, kind, at, team, role, task_type, node_id, model_id, success, reward)
      VALUES ('old-1', 'outcome', 1, 't', 'coder', 'code', 'a', 'm', 1, 1);
    INSERT INTO quality_stats VALUES ('t', 'coder', 'code', 'm', 7, 2, 9, 1);
    INSERT INTO quality_stats VALUES ('*', '*', '*', 'm', 20, 5, 25, 1);
  `);
  db.close();
}

describe('stats stores', () => {
  it('SqliteStatsStore keeps a bounded outcome log (the newest rows)', async () => {
    const store = new SqliteStatsStore(tempDb(), 50);
    const outcome = (i: number): OutcomeRecord => ({
      routeId: `r-${i}`,
      kind: 'outcome',
      at: i,
      team: 't',
      role: 'r',
      taskType: 'code',
      band: 'low',
      nodeId: 'a',
      modelId: 'm',
      success: true,
      reward: 1,
    });
    for (let i = 0; i < 400; i++) await store.appendOutcome(outcome(i));
    await store.flush();
    expect(store.countOutcomes()).toBeLessThanOrEqual(100);
    expect(store.countOutcomes()).toBeGreaterThanOrEqual(50);
    await store.close();
  });

  it('MemoryStatsStore keeps stats and a bounded outcome log', async () => {
    const memory = new MemoryStatsStore([], 2);
    await roundTrip(
      () => memory,
      () => memory,
    );
    for (let i = 0; i < 5; i++) await memory.appendOutcome({ ...record, routeId: `r-${i}` });
    expect(memory.outcomes.map((o) => o.routeId)).toEqual(['r-3', 'r-4']);
  });

  it('SqliteStatsStore persists stats and outcomes (WAL, synchronous=FULL)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'broke-store-')), 'nested', 'stats.db');
    await roundTrip(
      () => new SqliteStatsStore(path),
      () => new SqliteStatsStore(path),
    );
    const store = new SqliteStatsStore(path);
    expect(store.countOutcomes()).toBe(1);
    await store.close();
  });

  it('SqliteStatsStore batches a burst into few commits and acknowledges each write', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'broke-store-')), 'stats.db');
    const store = new SqliteStatsStore(path);
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => store.appendOutcome({ ...record, routeId: `r-${i}` })),
    );
    expect(store.countOutcomes()).toBe(500);
    await store.close();
    await expect(store.appendOutcome(record)).rejects.toThrow();
  });

  it('MemoryStatsStore keeps statistics that differ only in band apart', async () => {
    const memory = new MemoryStatsStore();
    await keepsBandsApart(
      () => memory,
      () => memory,
    );
  });

  it('SqliteStatsStore keeps statistics that differ only in band apart', async () => {
    const path = tempDb();
    await keepsBandsApart(
      () => new SqliteStatsStore(path),
      () => new SqliteStatsStore(path),
    );
  });

  it('SqliteStatsStore persists an alpha decrease (discounted evidence) as the lower value', async () => {
    const path = tempDb();
    const store = new SqliteStatsStore(path);
    await store.upsertStats([{ ...stat, alpha: 8, beta: 4 }]);
    await store.upsertStats([{ ...stat, alpha: 6.4, beta: 3.2, updatedAt: 2 }]);
    await store.close();
    const again = new SqliteStatsStore(path);
    expect(await again.loadStats()).toEqual([{ ...stat, alpha: 6.4, beta: 3.2, updatedAt: 2 }]);
    await again.close();
  });

  it('SqliteStatsStore migrates a pre-band file: old statistics kept in quality_stats_v1, not loaded', async () => {
    const path = tempDb();
    createPreBandDb(path);
    const store = new SqliteStatsStore(path);
    expect(await store.loadStats()).toEqual([]);
    await Promise.all([store.upsertStats([low, high]), store.appendOutcome(record)]);
    await store.appendOutcome({ ...record, routeId: 'r-2', band: undefined });
    expect(store.countOutcomes()).toBe(3);
    await store.close();

    // Opening the migrated file again changes nothing.
    const again = new SqliteStatsStore(path);
    expect(byBand(await again.loadStats())).toEqual([high, low]);
    await again.close();

    const db = new Database(path, { readonly: true });
    const legacy = db.prepare('SELECT team, model_id, alpha FROM quality_stats_v1 ORDER BY team').all();
    expect(legacy).toEqual([
      { team: '*', model_id: 'm', alpha: 20 },
      { team: 't', model_id: 'm', alpha: 7 },
    ]);
    const outcomes = db.prepare('SELECT route_id, band FROM outcomes ORDER BY id').all();
    expect(outcomes).toEqual([
      { route_id: 'old-1', band: null },
      { route_id: 'r-1', band: 'medium' },
      { route_id: 'r-2', band: null },
    ]);
    db.close();
  });
});
