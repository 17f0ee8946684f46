import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import {
  answersBookkept,
  type BrokeError,
  type ChatCompletion,
  type RequestEnd,
  requiredCapabilities,
  type ServingDeps,
  serveChat,
  signalLink,
} from '../../src/index.js';
import { Collect } from './collect-sink.js';
import { oneNodeDeps } from './one-node-deps.js';

describe('serving: one chat request without HTTP, on a real mlx_lm.server node', () => {
  let node: MlxNode;
  let deps: ServingDeps;
  const ends: RequestEnd[] = [];

  beforeAll(async () => {
    node = await startMlxNode({ model: 'tiny' });
    const base = oneNodeDeps(node.url);
    deps = { ...base, observers: [(end) => ends.push(end)] };
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
  });

  const ctx = { role: 'coder', sessionId: 's1' };
  const messages = [{ role: 'user', content: 'Say hi.' }];

  it('answers a completion with the route id and the served model, and tells observers once', async () => {
    ends.length = 0;
    const served = await serveChat(deps, {
      body: { model: 'broke-auto', messages, max_tokens: 8 },
      ctx,
      client: signalLink(new AbortController().signal),
      t0: performance.now(),
    });
    if (!served.ok || served.stream) throw new Error(`expected a completion, got ${JSON.stringify(served)}`);
    const completion = JSON.parse(served.text) as ChatCompletion;
    expect(completion.id).toBe(served.decision.routeId);
    expect(completion.model).toBe('tiny-a');
    expect(served.candidate.nodeId).toBe('a');
    // Outcomes and observers are told once the answer is out (serving/after-answer.ts).
    await answersBookkept();
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ outcome: 'ok', stream: false, status: 200 });
    expect(ends[0]?.tokens).toBeGreaterThan(0);
  });

  it('relays a stream to the sink: every chunk names the route, usage when asked, then the end', async () => {
    ends.length = 0;
    const served = await serveChat(deps, {
      body: { messages, max_tokens: 8, stream: true, stream_options: { include_usage: true } },
      ctx,
      client: signalLink(new AbortController().signal),
      t0: performance.now(),
    });
    if (!served.ok || !served.stream) throw new Error('expected a stream');
    const sink = new Collect();
    await served.relay(sink);
    expect(sink.ended).toBe(true);
    expect(sink.failed).toBeUndefined();
    expect(sink.chunks.length).toBeGreaterThan(1);
    for (const chunk of sink.chunks) {
      expect(chunk.id).toBe(served.decision.routeId);
      expect(chunk.model).toBe('tiny-a');
    }
    expect(sink.chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
    // Outcomes and observers are told once the answer is out (serving/after-answer.ts).
    await answersBookkept();
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ outcome: 'ok', stream: true });
  });

  it('a caller gone before any node answered gets a failure that names the route', async () => {
    ends.length = 0;
    const gone = new AbortController();
    gone.abort();
    const served = await serveChat(deps, {
      body: { messages, max_tokens: 8 },
      ctx,
      client: signalLink(gone.signal),
      t0: performance.now(),
    });
    expect(served.ok).toBe(false);
    if (served.ok) return;
    expect(served.decision?.routeId).toMatch(/./);
    expect((served.error as BrokeError).code).toBe('client_closed');
    // Outcomes and observers are told once the answer is out (serving/after-answer.ts).
    await answersBookkept();
    expect(ends).toEqual([expect.objectContaining({ outcome: 'error', status: 499 })]);
  });
});

describe('requiredCapabilities', () => {
  it('asks for vision when a message carries an image, for every caller', () => {
    const body = {
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }] },
      ],
      stream: true,
      tools: [{ type: 'function', function: { name: 'f' } }],
      response_format: { type: 'json_object' },
    };
    expect(requiredCapabilities(body).sort()).toEqual(['json', 'streaming', 'tools', 'vision']);
    expect(requiredCapabilities({ messages: [{ role: 'user', content: 'hi' }] })).toEqual([]);
  });
});
