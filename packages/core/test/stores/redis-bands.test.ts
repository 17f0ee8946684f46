import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../../../testbed/index.js';
import type { QualityStat } from '../../src/learning/quality-stat.js';
import { RedisStatsStore } from '../../src/stores/redis-stats-store.js';

// Store-level tests of complexity bands against a real redis-server (testbed/redis.ts), without a
// Router: they exercise only the store's keys, script and row parsing. A missing redis-server
// makes startRedis throw: these tests fail, never skip.

let redis: RedisServer;
const open: Array<{ close(): Promise<unknown> }> = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(open.map((client) => client.close().catch(() => undefined)));
  await redis?.stop();
});

function prefix(): string {
  return `bands-${randomBytes(4).toString('hex')}:`;
}

function store(p: string): RedisStatsStore {
  const created = new RedisStatsStore({ url: redis.url, prefix: p, onWarning: () => {} });
  open.push(created);
  return created;
}

function raw(): Redis {
  const client = new Redis(redis.url);
  open.push({ close: () => client.quit() });
  return client;
}

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
const low: QualityStat = { ...stat, band: 'low', alpha: 9, beta: 1, n: 10, updatedAt: 2 };
const high: QualityStat = { ...stat, band: 'high', alpha: 1, beta: 4, n: 5, updatedAt: 3 };

function byBand(stats: QualityStat[]): QualityStat[] {
  return [...stats].sort((a, b) => a.band.localeCompare(b.band));
}

describe('RedisStatsStore with complexity bands (real redis-server)', () => {
  it('keeps statistics that differ only in band apart, in Redis and on load', async () => {
    const p = prefix();
    const s = store(p);
    await s.loadStats();
    await s.upsertStats([low, high]);
    await s.upsertStats([{ ...low, alpha: 10, n: 11 }]);

    const keys = (await raw().smembers(`${p}stats`)).sort();
    expect(keys).toEqual([`${p}stat:t|coder|code|m|high`, `${p}stat:t|coder|code|m|low`]);

    const loaded = byBand(await store(p).loadStats());
    expect(loaded).toEqual([high, { ...low, alpha: 10, n: 11 }]);
  });

  it('a subscribed gateway receives band-specific updates with their band', async () => {
    const p = prefix();
    const a = store(p);
    const b = store(p);
    await Promise.all([a.loadStats(), b.loadStats()]);
    const seen: QualityStat[] = [];
    b.subscribe((s) => seen.push(s));
    await a.upsertStats([high]);
    const started = Date.now();
    while (seen.length === 0 && Date.now() - started < 2_000) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual([high]);
  });

  it('persists an alpha decrease (discounted evidence) as the lower value', async () => {
    const p = prefix();
    const s = store(p);
    await s.loadStats();
    await s.upsertStats([{ ...stat, alpha: 8, beta: 4 }]);
    await s.upsertStats([{ ...stat, alpha: 6.4, beta: 3.2, updatedAt: 2 }]);

    const hash = await raw().hgetall(`${p}stat:t|coder|code|m|medium`);
    expect(Number(hash.alpha)).toBeCloseTo(6.4, 9);
    expect(Number(hash.beta)).toBeCloseTo(3.2, 9);
    expect(hash.band).toBe('medium');

    const [loaded] = await store(p).loadStats();
    expect(loaded).toMatchObject({ band: 'medium', n: 5, updatedAt: 2 });
    expect(loaded?.alpha).toBeCloseTo(6.4, 9);
    expect(loaded?.beta).toBeCloseTo(3.2, 9);
  });

  it('ignores statistics written before bands (hashes without a band field)', async () => {
    const p = prefix();
    const client = raw();
    // What an older version wrote: a four-part key, no `band` field.
    const old = `${p}stat:t|coder|code|m`;
    await client.hset(old, {
      team: 't',
      role: 'coder',
      taskType: 'code',
      modelId: 'm',
      alpha: '7',
      beta: '2',
      n: '9',
      updatedAt: '1',
      v: '3',
    });
    await client.sadd(`${p}stats`, old);

    const s = store(p);
    expect(await s.loadStats()).toEqual([]);
    await s.upsertStats([low]);
    expect(await store(p).loadStats()).toEqual([low]);
    // The old hash is left as it was (an older gateway may still be running on it).
    expect(await client.hget(old, 'alpha')).toBe('7');
  });
});
