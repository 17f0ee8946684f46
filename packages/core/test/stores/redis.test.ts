import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RedisServer, startRedis } from '../../../../testbed/index.js';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { BrokeConfigSchema } from '../../src/config/schema.js';
import { BrokeError } from '../../src/errors.js';
import { DISCOUNT } from '../../src/learning/learned-quality.js';
import type { QualityStat } from '../../src/learning/quality-stat.js';
import { Router } from '../../src/routing/router.js';
import { openStatsStore } from '../../src/stores/open-stats-store.js';
import { RedisStatsStore, type RedisStatsStoreOptions } from '../../src/stores/redis-stats-store.js';

// Every test runs against a real redis-server on loopback (testbed/redis.ts). A missing
// redis-server makes startRedis throw with install instructions: these tests fail, never skip.

const config = BrokeConfigSchema.parse({
  nodes: [
    { id: 'studio', url: 'http://127.0.0.1:1', maxConcurrency: 4, models: [{ id: 'broke-small' }] },
    { id: 'mini', url: 'http://127.0.0.2:1', maxConcurrency: 4, models: [{ id: 'broke-tiny' }] },
  ],
  models: [
    { id: 'broke-small', family: 'llama', contextLength: 4096, tier: 'large' },
    { id: 'broke-tiny', family: 'llama', contextLength: 4096, tier: 'small' },
  ],
  routing: { seed: 7, explorationRate: 0 },
  store: { kind: 'memory' },
});

const reviewer = { team: 'newsroom', role: 'code_reviewer', sessionId: undefined };
const reviewPrompt = 'Review this function for bugs, step by step:\n```ts\nfunction f(a){return a[0]}\n```';

/** Documented staleness between gateways while both reach Redis (docs/routing.md). */
const STALENESS_MS = 1_000;

function cluster(): ClusterState {
  const state = new ClusterState(config.nodes);
  state.update('studio', { loadedModels: ['broke-small'] });
  state.update('mini', { loadedModels: ['broke-tiny'] });
  state.seedPerf('studio', 'broke-small', { ttftMs: 40, decodeTokensPerSec: 100 });
  state.seedPerf('mini', 'broke-tiny', { ttftMs: 10, decodeTokensPerSec: 400 });
  return state;
}

let redis: RedisServer;
const open: RedisStatsStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(open.map((store) => store.close().catch(() => undefined)));
  await redis?.stop();
});

function prefix(): string {
  return `test-${randomBytes(4).toString('hex')}:`;
}

function store(options: Partial<RedisStatsStoreOptions> & { prefix: string }): RedisStatsStore {
  const created = new RedisStatsStore({ url: redis.url, onWarning: () => {}, ...options });
  open.push(created);
  return created;
}

async function router(s: RedisStatsStore): Promise<Router> {
  return Router.create({ config, cluster: cluster(), store: s });
}

function routeReview(r: Router, model = 'broke-auto') {
  return r.route({ messages: [{ role: 'user', content: reviewPrompt }], model, maxTokens: 12 }, reviewer);
}

/** Predicted quality (prior + what was learned) of a model for the reviewer's prompt. */
function learnedScore(r: Router, modelId: string): number {
  const ranked = routeReview(r).explanation.ranked;
  const candidate = ranked.find((c) => c.modelId === modelId);
  return candidate?.quality ?? Number.NaN;
}

/** The most specific statistic (the team's own level) among those learned for the reviewer. */
function leaf(stats: QualityStat[]): QualityStat | undefined {
  return stats.find((s) => s.team !== '*');
}

function byKey(stats: QualityStat[]): Map<string, QualityStat> {
  return new Map(stats.map((s) => [`${s.team}/${s.role}/${s.taskType}/${s.modelId}/${s.band}`, s]));
}

function expectSameStats(actual: QualityStat[], expected: QualityStat[]): void {
  const a = byKey(actual);
  const e = byKey(expected);
  expect([...a.keys()].sort()).toEqual([...e.keys()].sort());
  for (const [key, stat] of e) {
    const got = a.get(key) as QualityStat;
    expect(got.alpha).toBeCloseTo(stat.alpha, 9);
    expect(got.beta).toBeCloseTo(stat.beta, 9);
    expect(got.n).toBe(stat.n);
  }
}

async function eventually(check: () => boolean, withinMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
}

describe('RedisStatsStore (real redis-server)', () => {
  it('persists learned statistics across Router restarts (outcomes, feedback, superseding)', async () => {
    const p = prefix();
    const first = await router(store({ prefix: p }));
    for (let i = 0; i < 20; i++) {
      const decision = routeReview(first);
      await first.recordOutcome(decision.routeId, { success: true, latencyMs: 50, ttftMs: 10, tokens: 12 });
      await first.feedback(decision.routeId, { score: decision.modelId === 'broke-small' ? 0.9 : 0.2 });
    }
    const learned = first.stats();
    expect(learned.length).toBeGreaterThan(0);
    await first.close();

    const againStore = store({ prefix: p });
    const again = await router(againStore);
    expectSameStats(again.stats(), learned);
    expect(await againStore.countOutcomes()).toBe(40);
    await again.close();
  });

  it('feedback on a route counts after a restart and on another gateway, once, only for its owner', async () => {
    const p = prefix();
    const a = await router(store({ prefix: p }));
    const d = a.route(
      { messages: [{ role: 'user', content: reviewPrompt }], model: 'broke-small', owner: 'key-1' },
      reviewer,
    );
    // An implicit failure: weak evidence until judged (a success carries none).
    await a.recordOutcome(d.routeId, { success: false, latencyMs: 50, error: 'timeout' });
    await a.close();

    // A fresh gateway never saw the route: it rebuilds it from what Redis logged under its id.
    const b = await router(store({ prefix: p }));
    const evidence = () =>
      b.stats().reduce((sum, s) => (s.modelId === 'broke-small' ? sum + s.alpha + s.beta : sum), 0);
    const before = evidence();
    expect(before).toBeGreaterThan(0);
    await expect(b.rate({ routeId: d.routeId }, { score: 0 }, undefined, 'key-2')).rejects.toMatchObject({
      status: 404,
    });
    expect(await b.rate({ routeId: d.routeId }, { score: 0 }, undefined, 'key-1')).toEqual([d.routeId]);
    const judged = evidence();
    expect(judged).toBeGreaterThan(before);
    // A third gateway rating it again replaces the judgement (its log now holds the feedback).
    const c = await router(store({ prefix: p }));
    await c.feedback(d.routeId, { score: 1 });
    const stat = c.stats().find((s) => s.modelId === 'broke-small' && s.team === reviewer.team);
    expect(stat?.alpha).toBeGreaterThan(stat?.beta ?? Number.POSITIVE_INFINITY);
    await expect(c.feedback('r-never-made', { score: 1 })).rejects.toMatchObject({ status: 404 });
    await b.close();
    await c.close();
  });

  it("a second gateway sees the first one's judged feedback without restart and routes by it", async () => {
    const p = prefix();
    const a = await router(store({ prefix: p }));
    const b = await router(store({ prefix: p }));
    // Before any feedback both route the review to the same model (same config, no evidence).
    const before = routeReview(b).modelId;
    expect(routeReview(a).modelId).toBe(before);
    const other = before === 'broke-small' ? 'broke-tiny' : 'broke-small';
    const scoreBefore = learnedScore(b, before);

    // Judges on gateway A: the model both picked reviews badly, the other one well.
    for (let i = 0; i < 15; i++) {
      await a.feedback(routeReview(a, before).routeId, { score: 0 });
      await a.feedback(routeReview(a, other).routeId, { score: 1 });
    }
    expect(routeReview(a).modelId).toBe(other);
    // Acknowledged on A; B converges within the documented staleness, from pub/sub.
    const took = await eventually(() => routeReview(b).modelId === other, STALENESS_MS);
    expect(took).toBeLessThanOrEqual(STALENESS_MS);
    const observations = (r: Router) => r.stats().reduce((sum, s) => sum + s.n, 0);
    // 30 judgements, each counted at every pooling level.
    const levels = a.stats().filter((s) => s.modelId === other).length;
    await eventually(() => observations(b) === 30 * levels, STALENESS_MS);
    expectSameStats(b.stats(), a.stats());
    expect(learnedScore(b, before)).toBeLessThan(scoreBefore);
    expect(learnedScore(b, other)).toBeGreaterThan(0.8);

    // And the other way round: B's own feedback reaches A.
    await b.feedback(routeReview(b, other).routeId, { thumbs: 'down' });
    await eventually(() => observations(a) === 31 * levels, STALENESS_MS);
    expectSameStats(a.stats(), b.stats());
    await Promise.all([a.close(), b.close()]);
  });

  it('escalation spend adds up across gateways and days stay apart', async () => {
    const p = prefix();
    const [a, b] = [store({ prefix: p }), store({ prefix: p })];
    // Connected as a gateway connects them: loading the statistics at start.
    await Promise.all([a.loadStats(), b.loadStats()]);
    await Promise.all([
      ...Array.from({ length: 10 }, () => a.addSpend('2026-11-30', 'research', 0.25)),
      ...Array.from({ length: 10 }, () => b.addSpend('2026-11-30', 'research', 0.5)),
      b.addSpend('2026-11-30', 'docs', 1),
      a.addSpend('2026-12-01', 'research', 2),
    ]);
    // The total after one more charge is what addSpend answers: every gateway's charges counted.
    expect(await a.addSpend('2026-11-30', 'research', 0)).toBeCloseTo(7.5, 9);
    const fresh = store({ prefix: p });
    await fresh.loadStats();
    expect(await fresh.loadSpend('2026-11-30')).toEqual({ research: 7.5, docs: 1 });
    expect(await fresh.loadSpend('2026-12-01')).toEqual({ research: 2 });
    expect(await fresh.loadSpend('2026-12-02')).toEqual({});
  });

  it('concurrent increments from two gateways on the same statistic lose no evidence', async () => {
    const p = prefix();
    const a = await router(store({ prefix: p }));
    const b = await router(store({ prefix: p }));
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      // Pinned to one model: every judgement lands on the same (team, role, task, model).
      writes.push(a.feedback(routeReview(a, 'broke-tiny').routeId, { score: 1 }));
      writes.push(b.feedback(routeReview(b, 'broke-tiny').routeId, { score: 0 }));
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    const fresh = store({ prefix: p });
    const stat = leaf(await fresh.loadStats());
    // Every increment counted. Evidence is discounted as it arrives (and two judges that always
    // disagree look like a changing model), so alpha and beta are not raw sums, but both
    // gateways' judgements are in them: the mean sits between the two judges.
    expect(stat).toMatchObject({ modelId: 'broke-tiny', n: 400 });
    const mean = (stat?.alpha ?? 0) / ((stat?.alpha ?? 0) + (stat?.beta ?? 0));
    expect(mean).toBeGreaterThan(0.2);
    expect(mean).toBeLessThan(0.8);
    // Both gateways converge on what Redis holds (each had only its own half locally at some point).
    for (const r of [a, b])
      await eventually(() => {
        const local = leaf(r.stats());
        const near = (x = 0, y = 0) => Math.abs(x - y) < 1e-9;
        return near(local?.alpha, stat?.alpha) && near(local?.beta, stat?.beta) && local?.n === 400;
      }, STALENESS_MS);
    await Promise.all([a.close(), b.close()]);
  });

  it('the same batch retried after a lost reply is applied once', async () => {
    const p = prefix();
    const s = store({ prefix: p });
    await s.loadStats();
    const stat: QualityStat = {
      team: 't',
      role: 'r',
      taskType: 'code',
      modelId: 'm',
      band: 'low',
      alpha: 1,
      beta: 0,
      n: 1,
      updatedAt: 1,
    };
    // Send one batch, then force the same batch (same sequence number) through again.
    await s.upsertStats([stat]);
    const internals = s as unknown as { seq: number };
    internals.seq -= 1;
    await s.upsertStats([{ ...stat, alpha: 2, n: 2 }]);
    const fresh = store({ prefix: p });
    const [loaded] = await fresh.loadStats();
    expect(loaded).toMatchObject({ alpha: 1, n: 1 });
  });

  it('a notification that never arrived is picked up by the periodic re-read (refreshMs)', async () => {
    const p = prefix();
    const s = store({ prefix: p, refreshMs: 200 });
    const r = await router(s);
    const decision = routeReview(r, 'broke-tiny');
    await r.feedback(decision.routeId, { score: 1 });
    // Another writer adds evidence without publishing (as if the notification was lost).
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis.url);
    const [key] = await raw.smembers(`${p}stats`);
    await raw.hincrbyfloat(key as string, 'beta', 3);
    await raw.hincrby(key as string, 'n', 3);
    await raw.hincrby(key as string, 'v', 1);
    await raw.quit();
    // Without the periodic re-read the change is never seen and this throws.
    await eventually(() => {
      const local = r
        .stats()
        .find((x) => `${p}stat:${[x.team, x.role, x.taskType, x.modelId, x.band].join('|')}` === key);
      return local?.beta === 3 && local.n === 4;
    }, 5_000);
    await r.close();
  });

  it('closing while Redis is gone does not hang: the flush rejects, connections end, a warning says what was lost', async () => {
    const own = await startRedis();
    const warnings: string[] = [];
    const s = new RedisStatsStore({
      url: own.url,
      prefix: prefix(),
      ackTimeoutMs: 200,
      onWarning: (m) => warnings.push(m),
    });
    const r = await Router.create({ config, cluster: cluster(), store: s });
    await own.stop();
    const pending = r.feedback(routeReview(r, 'broke-tiny').routeId, { score: 1 }).catch((e: unknown) => e);
    const started = Date.now();
    await expect(r.close()).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await pending).toBeInstanceOf(BrokeError);
    expect(
      warnings.some((w) => w.includes('closed with 1 outcomes and 4 statistic updates not written')),
    ).toBe(true);
    await expect(s.appendOutcome({} as never)).rejects.toMatchObject({ code: 'store_closed' });
    // A closed store stops reconnecting: with Redis back on the port, its clients stay away.
    const back = await startRedis({ port: own.port });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const clients = s as unknown as { cmd: { status: string }; sub: { status: string } };
    expect([clients.cmd.status, clients.sub.status]).not.toContain('ready');
    await back.stop();
  });

  it('Redis unreachable at start: a typed BrokeError with a hint, quickly', async () => {
    const port = await freePort();
    const s = openStatsStore({ kind: 'redis', url: `redis://:secret@127.0.0.1:${port}`, prefix: 'x:' });
    const started = Date.now();
    const error = await Router.create({ config, cluster: cluster(), store: s }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokeError);
    expect(error).toMatchObject({ code: 'store_unavailable', status: 503 });
    expect((error as BrokeError).message).toContain(`127.0.0.1:${port}`);
    expect((error as BrokeError).message).not.toContain('secret');
    expect((error as BrokeError).hint).toMatch(/redis-server/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await s.close();
  });

  it('Redis killed mid-run: routing keeps working, writes queue with a warning, and land after Redis returns', async () => {
    const own = await startRedis();
    try {
      const p = prefix();
      const warnings: string[] = [];
      const s = new RedisStatsStore({
        url: own.url,
        prefix: p,
        ackTimeoutMs: 300,
        onWarning: (m) => warnings.push(m),
      });
      const r = await Router.create({ config, cluster: cluster(), store: s });
      await r.feedback(routeReview(r, 'broke-small').routeId, { score: 1 });

      await own.kill();
      await eventually(() => warnings.some((w) => w.includes('unreachable')), 5_000);
      // The hot path never waits on Redis: decisions and in-memory learning go on.
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        const decision = routeReview(r, 'broke-small');
        expect(decision.modelId).toBe('broke-small');
        writes.push(r.recordOutcome(decision.routeId, { success: true, latencyMs: 30 }));
        writes.push(r.feedback(decision.routeId, { score: 1 }));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // 21 judged scores of 1, each discounting the evidence before it.
      const judged = (count: number) => (1 - DISCOUNT ** count) / (1 - DISCOUNT);
      expect(leaf(r.stats())?.n).toBe(21);
      expect(leaf(r.stats())?.alpha).toBeCloseTo(judged(21), 6);
      expect(routeReview(r).modelId).toBe('broke-small');
      const results = await Promise.allSettled(writes);
      // Not acknowledged: the promises reject with a typed error after ackTimeoutMs (nothing throws).
      expect(results.every((x) => x.status === 'rejected')).toBe(true);
      const reason = (results[0] as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(BrokeError);
      expect(reason).toMatchObject({ code: 'store_unavailable' });
      expect(s.queued.stats).toBeGreaterThan(0);

      // Redis comes back (empty: no persistence): the queued evidence is written exactly once.
      const back = await startRedis({ port: own.port });
      try {
        await eventually(() => warnings.some((w) => w.includes('reachable again')), 10_000);
        await s.flush();
        expect(s.queued).toEqual({ outcomes: 0, stats: 0 });
        const fresh = new RedisStatsStore({ url: back.url, prefix: p, onWarning: () => {} });
        const stat = leaf(await fresh.loadStats());
        // The 20 queued changes, without the first (acknowledged, then lost with Redis).
        expect(stat).toMatchObject({ modelId: 'broke-small', n: 20 });
        expect(stat?.alpha).toBeCloseTo(judged(21) - 1, 6);
        expect(await fresh.countOutcomes()).toBe(40);
        await fresh.close();
        // Redis lost the write acknowledged before the crash (it ran without persistence); after a
        // server restart the gateway takes what Redis holds as the truth, like every other gateway.
        await eventually(() => leaf(r.stats())?.alpha === stat?.alpha && leaf(r.stats())?.n === 20, 5_000);
        await r.close();
      } finally {
        await back.stop();
      }
    } finally {
      await own.stop();
    }
  });
});
