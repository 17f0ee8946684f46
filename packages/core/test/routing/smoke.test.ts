import { describe, expect, it } from 'vitest';
import { Router } from '../../src/routing/router.js';
import { ask, testCluster, testConfig } from './fixtures.js';

describe('Router smoke', () => {
  it('routes and explains', () => {
    const config = testConfig();
    const router = new Router({ config, cluster: testCluster(config), seed: 1 });
    const decision = router.route(ask('Prove that there are infinitely many primes, rigorously.'));
    const explanation = router.explain(decision.routeId);
    expect(explanation?.chosen).toEqual({
      nodeId: decision.nodeId,
      modelId: decision.modelId,
      servedName: decision.servedName,
    });
    console.log(JSON.stringify(explanation, null, 2));
  });
});
