import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { BrokeConfigSchema } from '../../src/config/schema.js';
import { Router } from '../../src/routing/router.js';

const config = BrokeConfigSchema.parse({
  nodes: ['n1', 'n2', 'n3'].map((id, i) => ({
    id,
    url: `http://10.0.0.${i + 1}:1`,
    models: [{ id: 'qwen-7b' }],
    maxConcurrency: 4,
  })),
  models: [{ id: 'qwen-7b', tier: 'medium' }],
  routing: { explorationRate: 0 },
});
const chat = (content: string) => ({ messages: [{ role: 'user' as const, content }] });

describe('load and session affinity', () => {
  it('sends new requests away from a busy node when a comparable one is free; a full queue filters it', () => {
    const cluster = new ClusterState(config.nodes);
    const router = new Router({ config, cluster, seed: 3 });
    cluster.update('n1', { inFlight: 4 });
    cluster.update('n2', { inFlight: 2 });
    for (let i = 0; i < 50; i++) expect(router.route(chat(`question ${i}`)).nodeId).toBe('n3');
    const decision = router.route(chat('hello'));
    // n1 is busy but its queue has room: still a candidate, with the wait in its prediction.
    expect(decision.explanation.filters).toEqual([]);
    const n1 = decision.explanation.ranked.find((c) => c.nodeId === 'n1');
    expect(n1?.terms['queue-wait']?.value).toBeGreaterThan(0);
    expect(n1?.terms['queue-wait']?.note).toBe(
      `1 ahead in the queue: ~${Math.round(n1?.terms['queue-wait']?.value ?? 0)} ms`,
    );
    cluster.update('n1', { waiting: 16 });
    expect(router.route(chat('hello')).explanation.filters).toEqual([
      {
        filter: 'saturation',
        removed: [
          {
            nodeId: 'n1',
            modelId: 'qwen-7b',
            servedName: 'qwen-7b',
            reason: 'saturated (4/4 in flight, 16 waiting)',
          },
        ],
      },
    ]);
  });

  it('keeps a conversation on its node unless that node is overloaded or down', () => {
    const cluster = new ClusterState(config.nodes);
    const router = new Router({ config, cluster, seed: 3 });
    const session = { sessionId: 'conv-1' };
    const first = router.route(chat('hi'), session);
    const home = first.nodeId;
    // Same load everywhere: the session stays where its prompt cache is.
    for (const node of ['n1', 'n2', 'n3']) cluster.update(node, { inFlight: 1 });
    for (let turn = 0; turn < 10; turn++)
      expect(router.route(chat(`turn ${turn}`), session).nodeId).toBe(home);
    // The home node busier (3/4 against 1/4): the slow-down outweighs the cache, so it moves.
    cluster.update(home, { inFlight: 3 });
    const moved = router.route(chat('next'), session);
    expect(moved.nodeId).not.toBe(home);
    // The session now lives on the new node; when it goes down, the session moves again.
    cluster.update(home, { inFlight: 1 });
    expect(router.route(chat('again'), session).nodeId).toBe(moved.nodeId);
    cluster.update(moved.nodeId, { up: false });
    expect(router.route(chat('down'), session).nodeId).not.toBe(moved.nodeId);
  });

  it('keeps a conversation on its node against a latency profile preference too', () => {
    const cluster = new ClusterState(config.nodes);
    const router = new Router({ config, cluster, seed: 5 });
    const session = { sessionId: 'conv-2' };
    const home = router.route(chat('hi'), session).nodeId;
    for (const node of ['n1', 'n2', 'n3'])
      cluster.seedPerf(node, 'qwen-7b', { ttftMs: node === home ? 400 : 300, decodeTokensPerSec: 30 });
    for (let i = 0; i < 80; i++) router.route(chat('refresh'), { sessionId: `other-${i}` });
    expect(router.route({ ...chat('more'), model: 'broke-balanced' }, session).nodeId).toBe(home);
  });
});
