import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import { BrokeConfigSchema, ClusterMonitor, ClusterState, Router } from '../../src/index.js';

/**
 * A model loaded on a real mlx_lm.server node scores warm. The server lists the absolute path it
 * was started with; the config names the model by id: the monitor maps one to the other.
 */
let node: MlxNode;
beforeAll(async () => {
  node = await startMlxNode({ model: 'tiny' });
});
afterAll(async () => {
  await node?.stop();
});

describe('warmth on a real mlx node', () => {
  it('the served model is warm (no cold-load time), as config id', async () => {
    const config = BrokeConfigSchema.parse({
      nodes: [{ id: 'a', url: node.url, kind: 'mlx', models: [{ id: 'tiny-a' }] }],
      models: [{ id: 'tiny-a', tier: 'small', contextLength: 4096 }],
      routing: { seed: 1, explorationRate: 0 },
      store: { kind: 'memory' },
    });
    const state = new ClusterState(config.nodes);
    const monitor = new ClusterMonitor({
      nodes: config.nodes,
      monitor: config.monitor,
      state,
      validate: false,
    });
    await monitor.pollOnce();
    await monitor.stop();
    expect(state.node('a')?.loadedModels).toEqual(['tiny-a']);
    const router = new Router({ config, cluster: state });
    const d = router.route({ messages: [{ role: 'user', content: 'hi' }] });
    expect(d.explanation.ranked[0]?.terms['cold-load']?.value ?? 0).toBe(0);
  });
});
