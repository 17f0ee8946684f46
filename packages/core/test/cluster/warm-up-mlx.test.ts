import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModel, type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import {
  BrokeConfigSchema,
  ClusterMonitor,
  ClusterState,
  type RunningGateway,
  startGateway,
  type WarmUpEvent,
} from '../../src/index.js';

/**
 * Predictive warm-up end to end: two real mlx_lm.server nodes, each configured with two generated
 * models (the one it started with, and one it loads when a request names its path), the real
 * monitor and the gateway with `warmup.enabled`. A team's sessions alternate writer → reviewer;
 * once the pattern is learned, the reviewer's model is loaded on its node after the writer's turn
 * and before the reviewer's turn reaches it. Node `b` is configured too small for the reviewer's
 * model: it never gets a warm-up. A pass-through proxy in front of each node records what the node
 * received, in order (mlx_lm.server's own /v1/models keeps naming its start-up model).
 */

interface Received {
  model: string;
  maxTokens: number | undefined;
  start: number;
  end: number;
}

interface Recorder {
  url: string;
  received: Received[];
  stop(): Promise<void>;
}

/** A loopback proxy that records each chat request's model and when the node finished answering it. */
async function recordingProxy(target: string): Promise<Recorder> {
  const upstream = new URL(target);
  const received: Received[] = [];
  let seq = 0;
  const server: Server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(body);
      let entry: Received | undefined;
      if (req.method === 'POST' && (req.url ?? '').includes('/chat/completions')) {
        const json = JSON.parse(raw.toString()) as { model: string; max_tokens?: number };
        entry = {
          model: json.model,
          maxTokens: json.max_tokens,
          start: ++seq,
          end: Number.POSITIVE_INFINITY,
        };
        received.push(entry);
      }
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.on('end', () => {
            if (entry) entry.end = ++seq;
          });
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let writerPath: string;
let reviewerPath: string;
let nodes: MlxNode[] = [];
let proxies: Recorder[] = [];
let monitor: ClusterMonitor | undefined;
let gateway: RunningGateway | undefined;

beforeAll(async () => {
  [writerPath, reviewerPath] = await Promise.all([ensureModel('tiny'), ensureModel('mini')]);
  // a starts with the writer's model (the reviewer's is cold); b with the reviewer's.
  nodes = await Promise.all([startMlxNode({ model: 'tiny' }), startMlxNode({ model: 'mini' })]);
  proxies = await Promise.all(nodes.map((n) => recordingProxy(n.url)));
  const models = [
    { id: 'writer-m', servedName: writerPath, path: writerPath },
    { id: 'reviewer-m', servedName: reviewerPath, path: reviewerPath },
  ];
  const pin = (team: string, node: string) => [
    { team, role: 'writer', pinNodes: [node], pinModels: ['writer-m'] },
    { team, role: 'reviewer', pinNodes: [node], pinModels: ['reviewer-m'] },
  ];
  const config = BrokeConfigSchema.parse({
    nodes: [
      { id: 'a', url: proxies[0]?.url, kind: 'mlx', memoryGb: 64, models, requestTimeoutMs: 60_000 },
      { id: 'b', url: proxies[1]?.url, kind: 'mlx', memoryGb: 2, models, requestTimeoutMs: 60_000 },
    ],
    models: [
      { id: 'writer-m', tier: 'small', contextLength: 4096, memoryGb: 0.5 },
      { id: 'reviewer-m', tier: 'small', contextLength: 4096, memoryGb: 4 },
    ],
    routing: { seed: 3, explorationRate: 0, roleRules: [...pin('roomy', 'a'), ...pin('tight', 'b')] },
    monitor: { intervalMs: 500 },
    store: { kind: 'memory' },
    warmup: { enabled: true, minProbability: 0.7, minObservations: 2, minIntervalMs: 0 },
  });
  const cluster = new ClusterState(config.nodes);
  monitor = new ClusterMonitor({
    nodes: config.nodes,
    monitor: config.monitor,
    state: cluster,
    validate: false,
  });
  await monitor.pollOnce();
  monitor.start();
  gateway = await startGateway({ config, cluster, port: 0, bridges: [] });
});

afterAll(async () => {
  await monitor?.stop();
  await gateway?.close();
  await Promise.all(proxies.map((p) => p.stop()));
  await Promise.all(nodes.map((n) => n.stop()));
});

/** One agent turn through the gateway, answered in full. */
async function turn(
  team: string,
  role: string,
  session: string,
): Promise<{ nodeId: string; modelId: string }> {
  const res = await fetch(`${gateway?.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-broke-team': team,
      'x-broke-role': role,
      'x-broke-session': session,
    },
    body: JSON.stringify({
      model: 'broke-auto',
      messages: [{ role: 'user', content: `${role}: draft the release notes` }],
      max_tokens: 4,
    }),
  });
  expect(res.status).toBe(200);
  const routeId = res.headers.get('x-broke-route-id');
  const route = (await (await fetch(`${gateway?.url}/v1/routes/${routeId}`)).json()) as {
    chosen: { nodeId: string; modelId: string };
  };
  return { nodeId: route.chosen.nodeId, modelId: route.chosen.modelId };
}

const events = (): readonly WarmUpEvent[] => gateway?.warmUp?.recent() ?? [];

/** The planner's next event matching `match` (an agent's think time, bounded generously). */
async function nextEvent(
  after: number,
  match: (e: WarmUpEvent) => boolean,
): Promise<WarmUpEvent | undefined> {
  for (let i = 0; i < 300; i++) {
    const found = events()
      .slice(after)
      .find((e) => match(e));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

describe('predictive warm-up on real mlx nodes', () => {
  it('a node too small for the reviewer model never gets a warm-up', async () => {
    for (let s = 0; s < 4; s++) {
      expect(await turn('tight', 'writer', `t${s}`)).toEqual({ nodeId: 'b', modelId: 'writer-m' });
      if (s >= 2) {
        // The pattern is learned: the planner considered warming and refused for memory.
        const skipped = await nextEvent(0, (e) => e.event === 'warmup_skipped' && e.team === 'tight');
        expect(skipped).toMatchObject({ nodeId: 'b', modelId: 'reviewer-m', from: 'writer', to: 'reviewer' });
        expect(skipped?.reason).toBe('memory: model needs 4 GiB, node has 2 GiB');
      }
      expect(await turn('tight', 'reviewer', `t${s}`)).toEqual({ nodeId: 'b', modelId: 'reviewer-m' });
    }
    expect(events().filter((e) => e.nodeId === 'b' && e.event !== 'warmup_skipped')).toEqual([]);
    // b received the eight turns and nothing else.
    expect(proxies[1]?.received.map((r) => r.maxTokens)).toEqual(Array(8).fill(4));
  });

  it("warms the reviewer's cold model after the writer's turn and before the reviewer's", async () => {
    const a = proxies[0] as Recorder;
    for (let s = 0; s < 2; s++) {
      await turn('roomy', 'writer', `r${s}`);
      await turn('roomy', 'reviewer', `r${s}`);
    }
    // Two writer → reviewer sessions learned (minObservations: 2), nothing warmed yet.
    expect(a.received.filter((r) => r.maxTokens === 1)).toEqual([]);
    for (let s = 2; s < 4; s++) {
      const before = events().length;
      expect(await turn('roomy', 'writer', `r${s}`)).toEqual({ nodeId: 'a', modelId: 'writer-m' });
      // (The warm-up may already be on its way to the node.)
      const writerTurn = a.received.filter((r) => r.maxTokens === 4).at(-1) as Received;
      const done = await nextEvent(before, (e) => e.event === 'warmup_done' || e.event === 'warmup_failed');
      expect(done).toMatchObject({
        event: 'warmup_done',
        nodeId: 'a',
        modelId: 'reviewer-m',
        team: 'roomy',
        from: 'writer',
        to: 'reviewer',
        probability: 1,
      });
      expect(await turn('roomy', 'reviewer', `r${s}`)).toEqual({ nodeId: 'a', modelId: 'reviewer-m' });
      const reviewerTurn = a.received.at(-1) as Received;
      const warmUp = a.received.filter((r) => r.maxTokens === 1).at(-1) as Received;
      // The node loaded the reviewer's model (a one-token generation of it) after the writer's turn
      // had finished there and before the reviewer's turn arrived: nothing in flight was evicted.
      expect(warmUp.model).toBe(reviewerPath);
      expect(writerTurn.model).toBe(writerPath);
      expect(warmUp.start).toBeGreaterThan(writerTurn.end);
      expect(warmUp.end).toBeLessThan(reviewerTurn.start);
      expect(reviewerTurn.model).toBe(reviewerPath);
    }
    // One warm-up per predicted turn; warm-ups are not routes.
    expect(a.received.filter((r) => r.maxTokens === 1)).toHaveLength(2);
    const listed = (await (await fetch(`${gateway?.url}/v1/routes?limit=100`)).json()) as { data: unknown[] };
    expect(listed.data).toHaveLength(16);
    expect(gateway?.warmUp?.counts).toMatchObject({ sent: 2, done: 2, failed: 0 });
    const metrics = await (await fetch(`${gateway?.url}/metrics`)).text();
    expect(metrics).toContain('broke_warmups_total{status="done"} 2');
  });
});
