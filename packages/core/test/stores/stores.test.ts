import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QualityStat } from '../../src/learning/quality-stat.js';
import { MemoryStatsStore, SqliteStatsStore } from '../../src/stores/index.js';
import type { OutcomeRecord, StatsStore } from '../../src/stores/stats-store.js';

const stat: QualityStat = {
  team: 't',
  role: 'coder',
  taskType: 'code',
  modelId: 'm',
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

describe('stats stores', () => {
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
});
