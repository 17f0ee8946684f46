import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { BrokeConfigSchema } from '../../src/config/schema.js';
import { DISCOUNT } from '../../src/learning/learned-quality.js';
import { Prng } from '../../src/learning/prng.js';
import { Router } from '../../src/routing/router.js';
import { MemoryStatsStore } from '../../src/stores/memory-stats-store.js';

// Two comparable medium models on two nodes; model "x" starts slightly favoured (faster seed perf).
const config = BrokeConfigSchema.parse({
  nodes: [
    { id: 'n1', url: 'http://10.0.0.1:1', models: [{ id: 'x' }, { id: 'y' }] },
    { id: 'n2', url: 'http://10.0.0.2:1', models: [{ id: 'x' }, { id: 'y' }] },
  ],
  models: [
    { id: 'x', tier: 'medium' },
    { id: 'y', tier: 'medium' },
  ],
  routing: { explorationRate: 0.1 },
});

const review = {
  messages: [
    {
      role: 'user' as const,
      content: 'Review this function for bugs: `function add(a, b) { return a - b; }`',
    },
  ],
};

describe('learning from outcomes', () => {
  it("steers code_reviewer away from a model that keeps failing; another role's own evidence keeps it for that role", async () => {
    const cluster = new ClusterState(config.nodes);
    for (const node of ['n1', 'n2']) {
      cluster.seedPerf(node, 'x', { ttftMs: 200, decodeTokensPerSec: 50 });
      cluster.seedPerf(node, 'y', { ttftMs: 300, decodeTokensPerSec: 40 });
    }
    const store = new MemoryStatsStore();
    const router = await Router.create({ config, cluster, store, seed: 7, now: () => 1000 });
    const judge = new Prng(99);
    const reviewer = { role: 'code_reviewer', team: 'qa' };
    const writer = { role: 'code_writer', team: 'qa' };

    // Before learning, x is the pick for both roles.
    expect(router.route(review, reviewer).modelId).toBe('x');

    // Scripted outcome source: for code_reviewer, x scores badly and y well; for code_writer both do well.
    for (let i = 0; i < 200; i++) {
      const agent = i % 2 === 0 ? reviewer : writer;
      const decision = router.route(review, agent);
      const good = agent === reviewer ? decision.modelId === 'y' : true;
      const score = good ? 0.8 + 0.2 * judge.next() : 0.1 * judge.next();
      await router.recordOutcome(decision.routeId, {
        success: good,
        score,
        latencyMs: 1200,
        ttftMs: 250,
        tokens: 100,
      });
    }

    let reviewerUsesX = 0;
    let explored = 0;
    const routes = 1000;
    for (let i = 0; i < routes; i++) {
      const r = router.route(review, reviewer);
      if (r.modelId === 'x') reviewerUsesX++;
      if (r.explanation.explored) explored++;
    }
    expect(reviewerUsesX / routes).toBeLessThanOrEqual(0.1); // ≥ 90% avoid x
    expect(explored / routes).toBeLessThanOrEqual(0.1 + 0.03); // exploration within its bound (+ sampling noise)

    // Evidence is pooled (the reviewer's bad scores for x reach the model's global estimate), but
    // a role's own evidence outweighs the pool for that role: the writer, judged well on x, keeps
    // x good while the reviewer's x stays bad.
    for (let i = 0; i < 30; i++) {
      const decision = router.route({ ...review, model: 'x' }, writer);
      await router.feedback(decision.routeId, { score: 0.9 });
    }
    const predicted = (agent: typeof writer) =>
      router.route(review, agent).explanation.ranked.find((c) => c.modelId === 'x')?.quality ?? Number.NaN;
    expect(predicted(writer)).toBeGreaterThan(0.8);
    expect(predicted(reviewer)).toBeLessThan(predicted(writer) - 0.2);
    let reviewerStillAvoids = 0;
    for (let i = 0; i < 100; i++) if (router.route(review, reviewer).modelId === 'y') reviewerStillAvoids++;
    expect(reviewerStillAvoids).toBeGreaterThanOrEqual(85);
    expect(store.outcomes).toHaveLength(200 + 30);

    // Restart from the store: the learned preference survives.
    const restarted = await Router.create({ config, cluster, store, seed: 8 });
    let afterRestart = 0;
    for (let i = 0; i < 200; i++) if (restarted.route(review, reviewer).modelId === 'x') afterRestart++;
    expect(afterRestart / 200).toBeLessThanOrEqual(0.1);
  });

  it('feedback updates statistics; unknown route ids are 404', async () => {
    const router = new Router({ config, cluster: new ClusterState(config.nodes), seed: 1 });
    const decision = router.route(review, { role: 'r' });
    await router.feedback(decision.routeId, { thumbs: 'down' });
    await router.feedback(decision.routeId, { score: 0.25 });
    const stat = router.stats().find((s) => s.modelId === decision.modelId && s.role === 'r');
    // A route weighs one judgement: the second replaced the first (ratings cannot be stuffed).
    expect(stat).toMatchObject({ role: 'r', n: 1, alpha: 0.25 });
    expect(stat?.beta).toBeCloseTo(0.75, 10);
    // Judgements of different routes add up, older evidence discounted by DISCOUNT.
    const second = router.route({ ...review, model: decision.modelId }, { role: 'r' });
    await router.feedback(second.routeId, { thumbs: 'down' });
    const after = router.stats().find((s) => s.modelId === decision.modelId && s.role === 'r');
    expect(after?.beta).toBeCloseTo(0.75 * DISCOUNT + 1, 10);
    // Every pooling level got the same evidence: the model globally, for the task type, for the role.
    expect(
      router
        .stats()
        .filter((s) => s.modelId === decision.modelId)
        .map((s) => [s.team, s.role, s.taskType]),
    ).toEqual([
      ['*', '*', '*'],
      ['*', '*', 'code'],
      ['*', 'r', 'code'],
    ]);
    await expect(router.feedback('r-nope', { thumbs: 'up' })).rejects.toMatchObject({
      status: 404,
      code: 'route_not_found',
    });
    await expect(router.recordOutcome('r-nope', { success: true })).rejects.toMatchObject({ status: 404 });
  });

  it('header-supplied roles and teams cannot grow the statistics without bound', async () => {
    const router = new Router({
      config,
      cluster: new ClusterState(config.nodes),
      seed: 1,
      maxRoles: 3,
      maxTeams: 2,
    });
    for (let i = 0; i < 40; i++) {
      const d = router.route(review, { role: `role-${i}`, team: `team-${i}` });
      await router.feedback(d.routeId, { score: 0.5 });
    }
    const roles = new Set(router.stats().map((s) => s.role));
    const teams = new Set(router.stats().map((s) => s.team));
    expect([...roles].sort()).toEqual(['*', 'role-0', 'role-1', 'role-2']);
    expect([...teams].sort()).toEqual(['*', 'team-0', 'team-1']);
    expect(router.stats().length).toBeLessThan(20);
  });

  it('outcomes update the node × model speed estimate (EWMA) and follow failover attempts', async () => {
    const cluster = new ClusterState(config.nodes);
    const router = new Router({ config, cluster, seed: 1 });
    const decision = router.route(review);
    const other = decision.fallbacks[0];
    expect(other).toBeDefined();
    router.noteAttempt(decision.routeId, {
      nodeId: decision.nodeId,
      modelId: decision.modelId,
      ok: false,
      error: 'ECONNRESET',
    });
    router.noteAttempt(decision.routeId, {
      nodeId: other?.nodeId ?? '',
      modelId: other?.modelId ?? '',
      ok: true,
    });
    // Judged in the outcome (a score): quality evidence, for the model that served.
    await router.recordOutcome(decision.routeId, {
      success: true,
      score: 0.8,
      latencyMs: 2100,
      ttftMs: 100,
      tokens: 200,
    });
    expect(cluster.perf(other?.nodeId ?? '', other?.modelId ?? '')).toMatchObject({
      ttftMs: 100,
      decodeTokensPerSec: 100,
    });
    expect(router.explain(decision.routeId)?.attempts).toHaveLength(2);
    expect(router.stats()[0]).toMatchObject({ modelId: other?.modelId, n: 1 });
  });
});
