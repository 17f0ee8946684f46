import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import {
  type BrokeConfig,
  BrokeConfigSchema,
  ClusterMonitor,
  ClusterState,
  Router,
} from '../../src/index.js';

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

/** Cluster state after one monitor poll of the real node (what `serve` does before routing). */
async function polledOnce(config: BrokeConfig): Promise<ClusterState> {
  const state = new ClusterState(config.nodes);
  const monitor = new ClusterMonitor({
    nodes: config.nodes,
    monitor: config.monitor,
    state,
    validate: false,
  });
  await monitor.pollOnce();
  await monitor.stop();
  return state;
}

describe('warmth on a real mlx node', () => {
  it('the served model is warm (no cold-load time), as config id', async () => {
    const config = BrokeConfigSchema.parse({
      nodes: [{ id: 'a', url: node.url, kind: 'mlx', models: [{ id: 'tiny-a' }] }],
      models: [{ id: 'tiny-a', tier: 'small', contextLength: 4096 }],
      routing: { seed: 1, explorationRate: 0 },
      store: { kind: 'memory' },
    });
    const state = await polledOnce(config);
    expect(state.node('a')?.loadedModels).toEqual(['tiny-a']);
    const router = new Router({ config, cluster: state });
    const d = router.route({ messages: [{ role: 'user', content: 'hi' }] });
    expect(d.explanation.ranked[0]?.terms['cold-load']?.value ?? 0).toBe(0);
  });

  it('an init-written node (model by path): memory headroom and session affinity see the loaded model', async () => {
    // As `init` writes it: the served path as servedName and path, sizes from the files. A second
    // model on the node is on disk only. Both "need" more memory than the node has.
    const config = BrokeConfigSchema.parse({
      nodes: [
        {
          id: 'a',
          url: node.url,
          kind: 'mlx',
          memoryGb: 8,
          models: [
            { id: 'tiny', servedName: node.modelPath, path: node.modelPath },
            { id: 'other', path: '/models/other' },
          ],
        },
      ],
      models: [
        { id: 'tiny', memoryGb: 64 },
        { id: 'other', memoryGb: 64 },
      ],
      routing: { seed: 1, explorationRate: 0 },
      store: { kind: 'memory' },
    });
    const state = await polledOnce(config);
    expect(state.node('a')?.loadedModels).toEqual(['tiny']);
    const router = new Router({ config, cluster: state });
    const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };
    const first = router.route(ask, { sessionId: 's1' });
    // Loaded: resident already, so no memory check; the cold one cannot fit and is filtered.
    expect(first.modelId).toBe('tiny');
    const headroom = first.explanation.filters.find((f) => f.filter === 'memory-headroom');
    expect(headroom?.removed).toEqual([
      { nodeId: 'a', modelId: 'other', servedName: 'other', reason: 'model needs 64 GiB, node has 8 GiB' },
    ]);
    expect(first.explanation.ranked[0]?.terms['cold-load']?.note).toBe('warm: loaded on the node');
    // The session's next turn finds its prompt cache on the same node × model.
    const next = router.route(ask, { sessionId: 's1' });
    expect(next.explanation.ranked[0]?.terms['session-cache']?.value).toBeLessThan(0);
  });
});
