import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureModel, type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import { type RayCluster, startRayCluster } from '../../../../testbed/ray.js';
import {
  BrokeConfigSchema,
  ClusterMonitor,
  ClusterState,
  type RouteExplanation,
  Router,
  type RunningGateway,
  startGateway,
} from '../../src/index.js';

// Integration: a real mlx_lm.server node and a real local Ray Serve application
// (examples/rayserve/app.py) behind one gateway. Never skipped: if Ray cannot start, this fails.
const PER_REPLICA = 2;

describe('rayserve node kind against a real Ray Serve application', () => {
  let ray: RayCluster | undefined;
  let mlx: MlxNode | undefined;
  let gateway: RunningGateway | undefined;
  let monitor: ClusterMonitor | undefined;
  let cluster: ClusterState;
  const decisions: RouteExplanation[] = [];

  beforeAll(async () => {
    const [rayCluster, mlxNode, modelPath] = await Promise.all([
      startRayCluster({ cpus: 2 }),
      startMlxNode({ model: 'tiny' }),
      ensureModel('tiny'),
    ]);
    ray = rayCluster;
    mlx = mlxNode;
    await ray.deploy({
      name: 'chat',
      modelPath,
      servedName: 'tiny',
      replicas: 1,
      maxOngoingRequests: PER_REPLICA,
    });
    await ray.waitForReplicas('chat', 1);
    const config = BrokeConfigSchema.parse({
      nodes: [
        { id: 'mlx', url: mlx.url, kind: 'mlx', models: [{ id: 'tiny-mlx' }], maxConcurrency: 2 },
        {
          id: 'ray',
          url: ray.serveUrl,
          kind: 'rayserve',
          models: [{ id: 'tiny-ray', servedName: 'tiny' }],
          // Until the monitor has read Ray's replicas; then replicas × max_ongoing_requests.
          maxConcurrency: 1,
          queueLimit: 8,
          requestTimeoutMs: 60_000,
          rayserve: { dashboardUrl: ray.dashboardUrl, metricsUrl: ray.metricsUrl },
        },
      ],
      models: ['tiny-mlx', 'tiny-ray'].map((id) => ({ id, tier: 'small', capabilities: ['streaming'] })),
      routing: { explorationRate: 0, seed: 7 },
      store: { kind: 'memory' },
    });
    cluster = new ClusterState(config.nodes);
    const router = new Router({ config, cluster, onDecision: (e) => decisions.push(e) });
    gateway = await startGateway({ config, router, cluster, port: 0, bridges: [] });
    monitor = new ClusterMonitor({ nodes: config.nodes, monitor: config.monitor, state: cluster });
    await monitor.pollOnce();
  }, 300_000);

  afterAll(async () => {
    await monitor?.stop();
    await gateway?.close();
    await Promise.all([mlx?.stop(), ray?.stop()]);
  }, 60_000);

  const chat = (model: string, stream = false, maxTokens = 8) =>
    fetch(`${gateway?.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: 'hello there' }],
        max_tokens: maxTokens,
        temperature: 0,
        stream,
      }),
    });

  const statusCapacity = async () => {
    const res = await fetch(`${gateway?.url}/v1/status`);
    const body = (await res.json()) as { nodes: { id: string; capacity: number }[] };
    return body.nodes.find((n) => n.id === 'ray')?.capacity;
  };

  /**
   * Runs `n` streams to the Ray node at once; the most in flight and waiting in the gateway, read
   * at every change of the node's load (a timer sampling it missed short waits on a busy machine).
   */
  const burst = async (n: number) => {
    let maxInFlight = 0;
    let maxWaiting = 0;
    const addLoad = cluster.addLoad.bind(cluster);
    const watch = vi.spyOn(cluster, 'addLoad').mockImplementation((state, inFlight, waiting) => {
      addLoad(state, inFlight, waiting);
      if (state.id !== 'ray') return;
      maxInFlight = Math.max(maxInFlight, state.inFlight);
      maxWaiting = Math.max(maxWaiting, state.waiting ?? 0);
    });
    const statuses = await Promise.all(
      Array.from({ length: n }, async () => {
        const res = await chat('tiny-ray', true, 128);
        const text = await res.text();
        expect(text).toContain('data: [DONE]');
        return res.status;
      }),
    );
    watch.mockRestore();
    return { statuses, maxInFlight, maxWaiting };
  };

  /**
   * A burst of 2 × capacity streams whose overlap shows what the test asserts. Only streams that
   * overlap in the gateway show it; on a machine too busy to start them together the burst runs
   * again, at most twice more, until `overlapped` holds.
   */
  const overlappingBurst = async (overlapped: (b: Awaited<ReturnType<typeof burst>>) => boolean) => {
    let b = await burst(2 * PER_REPLICA);
    for (let rerun = 0; rerun < 2 && !overlapped(b); rerun++) b = await burst(2 * PER_REPLICA);
    return b;
  };

  it('is up with capacity = replicas × max_ongoing_requests, read from the Serve API', async () => {
    expect(cluster.node('ray')).toMatchObject({
      up: true,
      capacity: PER_REPLICA,
      loadedModels: ['tiny-ray'],
    });
    expect(cluster.node('ray')?.validatedModels).toEqual(['tiny-ray']);
    expect(await statusCapacity()).toBe(PER_REPLICA);
  });

  it('routes chat to both the mlx_lm.server node and the Serve app, streaming and not', async () => {
    for (const [model, node] of [
      ['tiny-mlx', 'mlx'],
      ['tiny-ray', 'ray'],
    ] as const) {
      const res = await chat(model);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-broke-node')).toBe(node);
      const body = (await res.json()) as { object: string; choices: { message: { content: string } }[] };
      expect(body.object).toBe('chat.completion');
      expect(typeof body.choices[0]?.message.content).toBe('string');
      const streamed = await chat(model, true);
      expect(streamed.headers.get('x-broke-node')).toBe(node);
      expect(await streamed.text()).toMatch(/"chat\.completion\.chunk"[\s\S]*data: \[DONE\]/);
    }
  });

  it('sees the new capacity when the deployment scales from 1 to 2 replicas', async () => {
    // One replica: 2 × capacity streams at once means some wait in the gateway. More than the
    // capacity in flight fails at once; no rerun hides it.
    const before = await overlappingBurst((b) => b.maxWaiting > 0 || b.maxInFlight > PER_REPLICA);
    expect(before.statuses).toEqual(Array(2 * PER_REPLICA).fill(200));
    expect(before.maxInFlight).toBe(PER_REPLICA);
    expect(before.maxWaiting).toBeGreaterThan(0);

    const r = ray as RayCluster;
    const modelPath = await ensureModel('tiny');
    await r.deploy({
      name: 'chat',
      modelPath,
      servedName: 'tiny',
      replicas: 2,
      maxOngoingRequests: PER_REPLICA,
    });
    await r.waitForReplicas('chat', 2);
    await monitor?.pollOnce();
    expect(cluster.node('ray')?.capacity).toBe(2 * PER_REPLICA);
    expect(await statusCapacity()).toBe(2 * PER_REPLICA);

    // Two replicas: the same burst is admitted at once, nothing waits in the gateway. A stream that
    // waited fails at once: no rerun hides it.
    const after = await overlappingBurst((b) => b.maxWaiting > 0 || b.maxInFlight === 2 * PER_REPLICA);
    expect(after.statuses).toEqual(Array(2 * PER_REPLICA).fill(200));
    expect(after.maxWaiting).toBe(0);
    expect(after.maxInFlight).toBe(2 * PER_REPLICA);
  });
});
