import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { BrokeConfigSchema } from '../../src/config/schema.js';
import { Router } from '../../src/routing/router.js';

/** Issue 14: remembered routes are compact; only the newest keep their full explanation. */
const config = BrokeConfigSchema.parse({
  nodes: [
    { id: 'a', url: 'http://127.0.0.1:9', models: [{ id: 'big' }] },
    { id: 'b', url: 'http://127.0.0.2:9', models: [{ id: 'small' }] },
  ],
  models: [
    { id: 'big', tier: 'large' },
    { id: 'small', tier: 'small' },
  ],
  routing: { seed: 1, explorationRate: 0 },
  store: { kind: 'memory' },
});
const ask = { messages: [{ role: 'user' as const, content: 'Review this function for bugs.' }] };

describe('route memory', () => {
  it('keeps every route for feedback and listing, the full explanation only for the newest', async () => {
    const router = new Router({
      config,
      cluster: new ClusterState(config.nodes),
      explanationCapacity: 50,
      detailCapacity: 5,
    });
    const ids = Array.from(
      { length: 20 },
      (_, i) => router.route(ask, { role: 'reviewer', sessionId: `s${i}` }).routeId,
    );
    const oldest = ids[0] as string;
    const newest = ids.at(-1) as string;

    expect(router.explain(newest)?.ranked.length).toBeGreaterThan(0);
    const skeleton = router.explain(oldest);
    expect(skeleton?.ranked).toEqual([]);
    expect(skeleton?.summary).toMatch(/only the newest routes keep their full explanation/);
    expect(skeleton?.context).toMatchObject({ role: 'reviewer', sessionId: 's0' });

    // A failover noted after the detail went still moves who served it, for learning too.
    const chosen = skeleton?.chosen.nodeId;
    const other = chosen === 'a' ? { nodeId: 'b', modelId: 'small' } : { nodeId: 'a', modelId: 'big' };
    router.noteAttempt(oldest, {
      ...(skeleton?.chosen as { nodeId: string; modelId: string }),
      ok: false,
      error: 'x',
    });
    router.noteAttempt(oldest, { ...other, ok: true });
    await router.recordOutcome(oldest, { success: true, latencyMs: 10, ttftMs: 5, tokens: 3 });
    expect(router.explain(oldest)?.chosen).toMatchObject(other);
    // Exactly who served: the router's own candidate object (with tier, servedName) does not leak in.
    expect(router.explain(oldest)?.chosen).toEqual({ ...other, servedName: other.modelId });
    expect(router.explain(oldest)?.attempts).toEqual([{ ...other, ok: true }]);
    expect(router.listRoutes({ limit: 50 }).data.find((r) => r.id === oldest)).toMatchObject({
      ...other,
      status: 'ok',
    });
    const evidence = () =>
      router.stats().reduce((sum, s) => (s.modelId === other.modelId ? sum + s.alpha + s.beta : sum), 0);
    const before = evidence();
    await router.feedback(oldest, { score: 1 });
    expect(evidence()).toBeGreaterThan(before);
  });
});
