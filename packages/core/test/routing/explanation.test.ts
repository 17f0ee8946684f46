import { describe, expect, it } from 'vitest';
import { Router } from '../../src/routing/router.js';
import { ask, testCluster, testConfig } from './fixtures.js';

function router() {
  const config = testConfig({ routing: { explorationRate: 0, seed: 1 } });
  return new Router({ config, cluster: testCluster(config) });
}

describe('route explanation', () => {
  it('serialises every field, the lazily built ones included', () => {
    const r = router();
    const decision = r.route(ask('Write a haiku about routers.'), { role: 'writer', team: 'docs' });
    r.noteAttempt(decision.routeId, { nodeId: decision.nodeId, modelId: decision.modelId, ok: true });

    const json = JSON.parse(JSON.stringify(r.explain(decision.routeId)));

    expect(Object.keys(json).sort()).toEqual(
      [
        'analysis',
        'at',
        'attempts',
        'candidates',
        'chosen',
        'context',
        'explored',
        'filters',
        'objective',
        'profile',
        'ranked',
        'rankedOmitted',
        'routeId',
        'summary',
        'temperature',
      ].sort(),
    );
    expect(json.routeId).toBe(decision.routeId);
    expect(new Date(json.at).toISOString()).toBe(json.at);
    expect(json.context).toEqual({ role: 'writer', team: 'docs' });
    expect(json.chosen).toMatchObject({ nodeId: decision.nodeId, modelId: decision.modelId });
    expect(json.attempts).toEqual([{ nodeId: decision.nodeId, modelId: decision.modelId, ok: true }]);
    expect(json.ranked[0]).toMatchObject({ nodeId: decision.nodeId, modelId: decision.modelId });
    expect(Object.keys(json.ranked[0].terms)).toEqual([
      'quality-prior',
      'learned-quality',
      'role-rules',
      'hand-off',
      'run-time',
      'queue-wait',
      'cold-load',
      'session-cache',
    ]);
    // The prediction is the sum of its terms (quality clamped to 0..1).
    const terms = Object.values(json.ranked[0].terms) as Array<{ adds: string; value: number }>;
    const sum = (adds: string) => terms.filter((t) => t.adds === adds).reduce((a, t) => a + t.value, 0);
    expect(json.ranked[0].quality).toBeCloseTo(Math.min(1, Math.max(0, sum('quality'))), 9);
    expect(json.ranked[0].timeMs).toBeCloseTo(sum('time'), 6);
    expect(json.objective).toMatchObject({ latencyWeight: 0.04, expectedOutputTokens: 256 });
    expect(json.objective.typicalMs).toBeGreaterThan(0);
    expect(json.summary).toContain(`chose ${decision.modelId}@${decision.nodeId}`);
  });

  it('reads the same through its getters as through JSON', () => {
    const r = router();
    const decision = r.route(ask('Summarise this paragraph.'));
    const explanation = decision.explanation;
    expect(explanation.ranked).toBe(explanation.ranked); // built once, then kept
    expect(JSON.parse(JSON.stringify(explanation))).toMatchObject({
      summary: explanation.summary,
      ranked: JSON.parse(JSON.stringify(explanation.ranked)),
    });
  });
});
