import { describe, expect, it } from 'vitest';
import type { QualityStat } from '../../src/learning/quality-stat.js';
import { type Deltas, type Row, StatMirror } from '../../src/stores/redis/mirror.js';
import { applyArgs, parseRows, ROW_FIELDS, storeKeys } from '../../src/stores/redis/scripts.js';

// The Redis store's mirror is pure: these tests need no server. What the store does with a real
// redis-server (script, pub/sub, outages) is in redis.test.ts and redis-bands.test.ts.

const key = { team: 't', role: 'coder', taskType: 'code', modelId: 'm', band: 'low' } as const;

function stat(alpha: number, beta: number, n: number, updatedAt = 1): QualityStat {
  return { ...key, alpha, beta, n, updatedAt };
}

function row(v: number, alpha: number, beta: number, n: number, updatedAt = 1): Row {
  return { ...stat(alpha, beta, n, updatedAt), v };
}

function watched(mirror: StatMirror): QualityStat[] {
  const seen: QualityStat[] = [];
  mirror.subscribe((s) => seen.push(s));
  return seen;
}

describe('StatMirror', () => {
  it('never lets an older version replace a newer one, whatever the order rows arrive in', () => {
    const mirror = new StatMirror();
    const seen = watched(mirror);
    mirror.applyRows([row(3, 5, 1, 1, 30)], true);
    mirror.applyRows([row(2, 4, 1, 1, 20)], true);
    mirror.applyRows([row(1, 1, 1, 1, 10)], true);
    expect(mirror.view(key)).toMatchObject({ alpha: 5, beta: 1, n: 1, updatedAt: 30 });
    expect(seen).toHaveLength(1);
    mirror.applyRows([row(4, 6, 1, 1, 40)], true);
    expect(mirror.view(key)).toMatchObject({ alpha: 6, updatedAt: 40 });
    expect(seen).toHaveLength(2);
  });

  it("adds this process's pending evidence to Redis's value in the router's view", () => {
    const mirror = new StatMirror();
    mirror.applyRows([row(1, 2, 1, 3)], false);
    expect(mirror.snapshot()).toEqual([stat(2, 1, 3)]);
    const deltas: Deltas = new Map();
    mirror.record([stat(3, 1, 4, 5)], deltas);
    expect([...deltas.values()]).toEqual([stat(1, 0, 1, 5)]);
    // Another gateway adds evidence (version 2) while ours is still queued: both count.
    const seen = watched(mirror);
    mirror.applyRows([row(2, 2, 3, 5, 4)], true);
    expect(seen).toEqual([stat(3, 3, 6, 5)]);
  });

  it('coalesces several upserts of one statistic into one delta per batch', () => {
    const mirror = new StatMirror();
    const deltas: Deltas = new Map();
    mirror.record([stat(1, 0, 1)], deltas);
    mirror.record([stat(2, 0.5, 2)], deltas);
    expect(deltas.size).toBe(1);
    expect(deltas.get([...deltas.keys()][0] as string)).toMatchObject({ alpha: 2, beta: 0.5, n: 2 });
  });

  it('takes a batch out of the pending sums once Redis acknowledged it, so it is not counted twice', () => {
    const mirror = new StatMirror();
    const first: Deltas = new Map();
    mirror.record([stat(1, 0, 1)], first);
    const second: Deltas = new Map();
    mirror.record([stat(2, 0, 2)], second);
    const seen = watched(mirror);
    // Redis applied the first batch: its absolutes now include that evidence.
    mirror.settle(first);
    mirror.applyRows([row(1, 1, 0, 1)], true);
    expect(mirror.view(key)).toMatchObject({ alpha: 2, n: 2 });
    expect(seen).toEqual([]);
    mirror.settle(second);
    mirror.applyRows([row(2, 2, 0, 2)], true);
    expect(mirror.view(key)).toMatchObject({ alpha: 2, n: 2 });
    // Nothing pending any more: a newer Redis value is taken as is.
    mirror.applyRows([row(3, 7, 1, 5)], true);
    expect(mirror.view(key)).toMatchObject({ alpha: 7, beta: 1, n: 5 });
  });

  it('after a Redis restart takes what Redis holds as the truth, even at lower versions', () => {
    const mirror = new StatMirror();
    const other = { ...key, modelId: 'gone' };
    mirror.applyRows([row(50, 9, 9, 9), { ...row(7, 4, 4, 4), ...other }], false);
    mirror.snapshot();
    const seen = watched(mirror);
    const queued: Deltas = new Map();
    mirror.record([stat(10, 9, 10)], queued);
    // The restarted server starts versions over and lost the other statistic.
    mirror.resync([row(1, 2, 0, 1)]);
    expect(mirror.view(key)).toMatchObject({ alpha: 3, beta: 0, n: 2 });
    expect(mirror.view(other)).toMatchObject({ alpha: 0, beta: 0, n: 0 });
    expect(seen.map((s) => s.modelId).sort()).toEqual(['gone', 'm']);
  });

  it('clamps the view at zero when discounting takes more than Redis holds', () => {
    const mirror = new StatMirror();
    mirror.applyRows([row(1, 2, 2, 2)], false);
    mirror.snapshot();
    // Discounting: this process takes 1 off alpha and beta, not yet in Redis.
    mirror.record([stat(1, 1, 2)], new Map());
    const seen = watched(mirror);
    // Meanwhile Redis (restarted) holds less than that.
    mirror.resync([row(1, 0.5, 0.5, 2)]);
    expect(seen).toEqual([stat(0, 0, 2)]);
  });

  it('pushes nothing after unsubscribing', () => {
    const mirror = new StatMirror();
    const seen: QualityStat[] = [];
    const stop = mirror.subscribe((s) => seen.push(s));
    stop();
    mirror.applyRows([row(1, 1, 0, 1)], true);
    expect(seen).toEqual([]);
  });
});

describe('Redis script arguments', () => {
  it('lays out keys and arguments as APPLY_LUA reads them', () => {
    const keys = storeKeys('p:', 'o1');
    const args = applyArgs(
      { prefix: 'p:', keys, origin: 'o1', maxOutcomes: 100, routeTtlSec: 60 },
      { seq: 4, outcomes: ['{"a":1}'], routeIds: ['r 1'], deltas: [stat(1, 2, 3, 4)] },
    );
    expect(args).toEqual([
      5,
      'p:stats',
      'p:outcomes',
      'p:origin:o1',
      'p:route:r 1',
      'p:stat:t|coder|code|m|low',
      'p:updates',
      'o1',
      4,
      100,
      1,
      60,
      '{"a":1}',
      't',
      'coder',
      'code',
      'm',
      'low',
      1,
      2,
      3,
      4,
    ]);
  });

  it('reads rows in ROW_FIELDS order and skips hashes written before complexity bands', () => {
    const values = (band: string | null) =>
      ROW_FIELDS.map((field) =>
        field === 'band' ? band : field in key ? key[field as keyof typeof key] : '2',
      );
    expect(parseRows([values('low'), values(null), values('extreme'), 'junk'])).toEqual([row(2, 2, 2, 2, 2)]);
    expect(parseRows('not rows')).toEqual([]);
  });
});
