import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatChunk, createDriver, type NodeDriver } from '../../src/index.js';
import { explainOverHttp, type MlxCluster, startMlxCluster } from './support/mlx-cluster.js';
import { runPython } from './support/python.js';

/** The gateway over real mlx_lm.server nodes, driven by the official clients. */
let c: MlxCluster;
let client: OpenAI;

beforeAll(async () => {
  c = await startMlxCluster({ nodes: 2 });
  client = new OpenAI({ baseURL: `${c.gateway.url}/v1`, apiKey: 'sk-dummy', maxRetries: 0 });
});
afterAll(async () => {
  await c?.stop();
});

describe('official clients through the gateway to mlx_lm.server', () => {
  it('Node: non-streaming and streaming, usage in the final chunk', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'broke-auto', messages: [{ role: 'user', content: 'hi' }], max_tokens: 6 })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-broke-node')).toMatch(/^[ab]$/);
    expect(response.headers.get('x-broke-model')).toMatch(/^tiny-[ab]$/);
    // response.id is the route id: explainable and rateable without reading headers.
    expect(data.id).toBe(response.headers.get('x-broke-route-id'));
    expect((await explainOverHttp(c.gateway.url, data.id)).routeId).toBe(data.id);

    const stream = await client.chat.completions.create({
      model: 'tiny-b',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(chunks.every((ch) => ch.model === 'tiny-b')).toBe(true);
    expect(new Set(chunks.map((ch) => ch.id)).size).toBe(1);
    const streamed = await fetch(`${c.gateway.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route_id: chunks[0]?.id, score: 1 }),
    });
    expect(((await streamed.json()) as { route_ids: string[] }).route_ids).toEqual([chunks[0]?.id]);
  });

  it('Python: non-streaming and streaming with usage', async () => {
    const result = await runPython('packages/core/test/http/support/openai_client.py', {
      BROKE_BASE_URL: `${c.gateway.url}/v1`,
    });
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(result.json).toMatchObject({ ok: true, plain_model: expect.stringMatching(/^tiny-/) });
    expect(
      (result.json?.usage as { completion_tokens: number } | undefined)?.completion_tokens,
    ).toBeGreaterThan(0);
    const explained = await explainOverHttp(c.gateway.url, result.json?.route_id as string);
    expect(explained.context.role).toBe('python-client');
    expect(result.json?.plain_id).toBe(result.json?.route_id);
    const streamIds = result.json?.stream_ids as string[];
    expect(streamIds).toHaveLength(1);
    expect((await explainOverHttp(c.gateway.url, streamIds[0] as string)).context.role).toBe('python-client');
  });
});

/** Real drivers, with every AbortSignal handed to them recorded. */
function spyingDrivers(signals: AbortSignal[]) {
  return (node: Parameters<typeof createDriver>[0]): NodeDriver => {
    const real = createDriver(node);
    return Object.assign(Object.create(real) as NodeDriver, {
      chatStream: (
        req: Parameters<NodeDriver['chatStream']>[0],
        opts: Parameters<NodeDriver['chatStream']>[1] = {},
      ) => {
        if (opts.signal) signals.push(opts.signal);
        return real.chatStream(req, opts);
      },
      // The gateway's pass-through path.
      chatStreamRaw: (
        req: Parameters<NodeDriver['chatStream']>[0],
        opts: Parameters<NodeDriver['chatStream']>[1] = {},
      ) => {
        if (opts.signal) signals.push(opts.signal);
        return real.chatStreamRaw(req, opts);
      },
    });
  };
}

describe('client disconnect (real node)', () => {
  it('aborts the upstream openai SDK call and frees the node slot', async () => {
    const signals: AbortSignal[] = [];
    const k = await startMlxCluster({ nodes: 1, drivers: spyingDrivers(signals) });
    try {
      const abort = new AbortController();
      const local = new OpenAI({ baseURL: `${k.gateway.url}/v1`, apiKey: 'sk-dummy', maxRetries: 0 });
      const stream = await local.chat.completions.create(
        {
          model: 'broke-auto',
          messages: [{ role: 'user', content: 'Write a long story.' }],
          max_tokens: 4000,
          stream: true,
        },
        { signal: abort.signal },
      );
      let seen = 0;
      try {
        for await (const _ of stream) if (++seen === 3) abort.abort();
      } catch {
        // aborted on purpose
      }
      const deadline = Date.now() + 3000;
      while (!signals[0]?.aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(signals[0]?.aborted).toBe(true);
      expect(k.cluster.node('a')?.inFlight).toBe(0);
      // The node is free again: a fresh request is served at once.
      const t0 = performance.now();
      await local.chat.completions.create({
        model: 'broke-auto',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 2,
      });
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      await k.stop();
    }
  });
});

describe('killing a node mid-workload', () => {
  it('requests not yet streaming fail over to the other node; none hang', async () => {
    const k = await startMlxCluster({
      nodes: 2,
      config: { routing: { explorationRate: 0, maxAttempts: 3 } },
    });
    try {
      const base = `${k.gateway.url}/v1`;
      const outcomes: Array<{
        ok: boolean;
        stream: boolean;
        interrupted?: boolean;
        routeId?: string;
        status: number;
      }> = [];
      const one = async (i: number) => {
        const stream = i % 2 === 0;
        const res = await fetch(`${base}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-broke-session': `s${i}` },
          body: JSON.stringify({
            model: 'broke-auto',
            stream,
            max_tokens: 24,
            messages: [{ role: 'user', content: `Request ${i}` }],
          }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        const routeId = res.headers.get('x-broke-route-id') ?? undefined;
        if (!stream)
          return outcomes.push({
            ok: res.status === 200,
            stream,
            status: res.status,
            ...(routeId ? { routeId } : {}),
          });
        const interrupted = text.includes('"stream_interrupted"');
        outcomes.push({
          ok: res.status === 200 && text.includes('[DONE]'),
          stream,
          interrupted,
          status: res.status,
          ...(routeId ? { routeId } : {}),
        });
      };
      // Four clients issue requests back to back; the node serving them is killed while they
      // run (the router may well be sending everything to one of two identical nodes).
      const started = Date.now();
      let i = 0;
      const worker = async () => {
        while (Date.now() - started < 4000) await one(i++);
      };
      let victim = 'a';
      let survivor = 'b';
      const killer = new Promise<void>((r) =>
        setTimeout(() => {
          if ((k.cluster.node('b')?.inFlight ?? 0) > (k.cluster.node('a')?.inFlight ?? 0)) {
            victim = 'b';
            survivor = 'a';
          }
          k.nodes[victim === 'a' ? 0 : 1]?.kill('SIGKILL');
          r();
        }, 1500),
      );
      await Promise.all([worker(), worker(), worker(), worker(), killer]);

      expect(outcomes.length).toBeGreaterThan(8);
      // Every request that had not started streaming succeeded (on the survivor if need be);
      // a stream cut after its first token ends with an explicit error event, never a hang.
      for (const o of outcomes) expect(o.ok || o.interrupted, JSON.stringify(o)).toBe(true);
      expect(outcomes.filter((o) => !o.stream).every((o) => o.ok)).toBe(true);
      // At least one request was retried: its explanation shows a failed attempt on the killed
      // node, then a good one on the survivor.
      const explained = await Promise.all(
        outcomes.filter((o) => o.routeId).map((o) => explainOverHttp(k.gateway.url, o.routeId as string)),
      );
      const failedOver = explained.filter(
        (e) =>
          e.attempts.some((a) => a.nodeId === victim && !a.ok) &&
          e.attempts.some((a) => a.nodeId === survivor && a.ok),
      );
      expect(failedOver.length).toBeGreaterThan(0);
      expect(k.cluster.node('a')?.inFlight).toBe(0);
      expect(k.cluster.node('b')?.inFlight).toBe(0);
    } finally {
      await k.stop();
    }
  });
});
