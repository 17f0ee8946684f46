import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { BrokeConfigSchema } from '../../src/config/schema.js';
import { BrokeError } from '../../src/errors.js';
import { Router } from '../../src/routing/router.js';

const tiers = ['small', 'medium', 'large'] as const;

/** A random cluster: 1..5 nodes, each serving a subset of 1..4 models, random live state. */
const scenario = fc.record({
  models: fc.array(
    fc.record({
      tier: fc.constantFrom(...tiers),
      contextLength: fc.integer({ min: 256, max: 32768 }),
      tools: fc.boolean(),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  nodes: fc.array(
    fc.record({
      serves: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      up: fc.boolean(),
      inFlight: fc.integer({ min: 0, max: 5 }),
      queued: fc.integer({ min: 0, max: 3 }),
      waiting: fc.integer({ min: 0, max: 20 }),
      cooling: fc.boolean(),
      loaded: fc.option(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 })),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  prompt: fc.string({ maxLength: 400 }),
  maxTokens: fc.option(fc.integer({ min: 1, max: 8000 })),
  needsTools: fc.boolean(),
  profile: fc.constantFrom('broke-auto', 'broke-quality', 'broke-latency', 'broke-balanced'),
  role: fc.option(fc.constantFrom('coder', 'reviewer')),
  sessionId: fc.option(fc.constantFrom('s1', 's2')),
  seed: fc.integer(),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario) {
  const config = BrokeConfigSchema.parse({
    nodes: s.nodes.map((node, n) => ({
      id: `n${n}`,
      url: `http://10.0.0.${n + 1}:8080`,
      models: s.models.flatMap((_, m) => (node.serves[m] ? [{ id: `m${m}` }] : [])),
    })),
    models: s.models.map((model, m) => ({
      id: `m${m}`,
      tier: model.tier,
      contextLength: model.contextLength,
      capabilities: model.tools ? ['tools'] : [],
    })),
    routing: { explorationRate: 0.3, roleRules: [{ role: 'reviewer', avoid: ['small'], prefer: ['large'] }] },
  });
  const cluster = new ClusterState(config.nodes);
  s.nodes.forEach((node, n) => {
    cluster.update(`n${n}`, {
      up: node.up,
      inFlight: node.inFlight,
      queued: node.queued,
      waiting: node.waiting,
      cooldownUntil: node.cooling ? 2e12 : 0,
      loadedModels: node.loaded ? node.loaded.map((m) => `m${m}`) : undefined,
    });
  });
  return { config, cluster };
}

function routeAll(s: Scenario) {
  const { config, cluster } = build(s);
  const router = new Router({ config, cluster, seed: s.seed, now: () => 1e12 });
  const out: unknown[] = [];
  for (let i = 0; i < 5; i++) {
    try {
      const decision = router.route(
        {
          messages: [{ role: 'user', content: s.prompt }],
          model: s.profile,
          maxTokens: s.maxTokens ?? undefined,
          requires: s.needsTools ? ['tools'] : [],
        },
        { role: s.role ?? undefined, sessionId: s.sessionId ?? undefined },
      );
      out.push({
        node: decision.nodeId,
        model: decision.modelId,
        fallbacks: decision.fallbacks,
        ranked: decision.explanation.ranked,
        explored: decision.explanation.explored,
      });
    } catch (error) {
      expect(error).toBeInstanceOf(BrokeError);
      out.push({ error: (error as BrokeError).code });
    }
  }
  return { router, out };
}

describe('routing invariants (fast-check)', () => {
  it('never picks a candidate a filter removed; predictions are in range and the objective is as explained', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { config, cluster } = build(s);
        const router = new Router({ config, cluster, seed: s.seed, now: () => 1e12 });
        let decision: ReturnType<Router['route']>;
        try {
          decision = router.route(
            {
              messages: [{ role: 'user', content: s.prompt }],
              model: s.profile,
              maxTokens: s.maxTokens ?? undefined,
              requires: s.needsTools ? ['tools'] : [],
            },
            { role: s.role ?? undefined },
          );
        } catch (error) {
          expect(error).toBeInstanceOf(BrokeError);
          // 429 saturated, 503 nothing can serve it now, 400 nothing could ever (context too long).
          expect([400, 429, 503]).toContain((error as BrokeError).status);
          return;
        }
        const removed = new Set(
          decision.explanation.filters.flatMap((f) => f.removed.map((c) => `${c.nodeId}/${c.modelId}`)),
        );
        for (const picked of [decision, ...decision.fallbacks]) {
          expect(removed.has(`${picked.nodeId}/${picked.modelId}`)).toBe(false);
          const state = cluster.node(picked.nodeId);
          expect(state?.up).toBe(true);
          // A busy node may be picked only while its gateway queue has room.
          const full =
            (state?.inFlight ?? 0) >= (state?.capacity ?? 0) &&
            (state?.waiting ?? 0) + (state?.queued ?? 0) >= (state?.queueLimit ?? 0);
          expect(full).toBe(false);
        }
        const { latencyWeight, typicalMs } = decision.explanation.objective;
        const fastest = Math.min(...decision.explanation.ranked.map((c) => c.timeMs));
        for (const ranked of decision.explanation.ranked) {
          expect(ranked.quality).toBeGreaterThanOrEqual(0);
          expect(ranked.quality).toBeLessThanOrEqual(1);
          expect(ranked.timeMs).toBeGreaterThanOrEqual(1);
          expect(ranked.total).toBeLessThanOrEqual(1 + 1e-9);
          // The objective is what the explanation says it is.
          if ((decision.explanation as { rankedOmitted?: number }).rankedOmitted === 0)
            expect(ranked.total).toBeCloseTo(
              ranked.quality - (latencyWeight * (ranked.timeMs - fastest)) / typicalMs,
              9,
            );
        }
        expect(decision.explanation.ranked[0]?.modelId).toBe(decision.modelId);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic given a seed', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        expect(routeAll(s).out).toEqual(routeAll(s).out);
      }),
      { numRuns: 100 },
    );
  });
});
