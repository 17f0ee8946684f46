import { afterEach, describe, expect, it } from 'vitest';
import { createDriver } from '../../src/drivers/factory.js';
import type { DriverNode } from '../../src/drivers/openai-compatible.js';
import type { ChatChunk } from '../../src/spec/index.js';
import {
  type FixtureServer,
  LLAMACPP,
  MLX_KNIFE,
  OLLAMA,
  type Routes,
  serveFixtures,
  VLLM,
} from './fixtures.js';

// CONTRACT TESTS: these backends are not in the test bed, so each driver is checked against
// recorded response shapes of the real server (test/drivers/fixtures.ts) on a loopback HTTP server.

let srv: FixtureServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

async function driverFor(kind: DriverNode['kind'], routes: Routes, models: DriverNode['models'] = []) {
  srv = await serveFixtures(routes);
  return createDriver({ id: `${kind}-node`, url: srv.url, kind, models });
}

async function collect(
  stream: AsyncIterable<ChatChunk>,
): Promise<{ text: string; finish: string | null | undefined }> {
  let text = '';
  let finish: string | null | undefined;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  return { text, finish };
}

describe('contract: Ollama driver (recorded /api/tags, /api/ps, /v1 shapes)', () => {
  it('observes loaded models and their memory via /api/ps, models via /api/tags', async () => {
    const d = await driverFor('ollama', OLLAMA);
    expect(d.observes.loadedModels).toBe(true);
    expect((await d.health()).ok).toBe(true);
    expect(await d.listModels()).toEqual(['llama3.2:3b', 'qwen2.5-coder:7b']);
    const m = await d.metrics();
    expect(m.loadedModels).toEqual(['llama3.2:3b']);
    expect(m.memory?.usedGb).toBe(3);
  });
  it('chats through /v1 and cleans a leaked <|eot_id|>', async () => {
    const d = await driverFor('ollama', OLLAMA);
    const c = await d.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices[0]?.message.content).toBe('Hello there!');
    const s = await collect(
      d.chatStream({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    );
    expect(s).toEqual({ text: 'Hello there!', finish: 'stop' });
  });
});

describe('contract: llama.cpp driver (recorded /health, /slots, /metrics shapes)', () => {
  it('counts busy slots and deferred requests', async () => {
    const d = await driverFor('llamacpp', LLAMACPP);
    expect(d.observes.queueDepth).toBe(true);
    expect((await d.health()).ok).toBe(true);
    const m = await d.metrics();
    expect(m).toMatchObject({ loadedModels: ['qwen2.5-7b-instruct-q4_k_m.gguf'], running: 1, queued: 3 });
  });
  it('reports loading (503) as not healthy', async () => {
    const d = await driverFor('llamacpp', {
      'GET /health': {
        status: 503,
        json: { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } },
      },
    });
    expect(await d.health()).toMatchObject({ ok: false, error: 'health answered 503' });
  });
  it('cleans <|im_end|> split across chunks', async () => {
    const d = await driverFor('llamacpp', LLAMACPP);
    const c = await d.chat({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices[0]?.message.content).toBe('Hi!');
    expect(
      await collect(d.chatStream({ model: 'x', messages: [{ role: 'user', content: 'hi' }], stream: true })),
    ).toEqual({
      text: 'Hi!',
      finish: 'stop',
    });
  });
});

describe('contract: vLLM driver (recorded Prometheus /metrics)', () => {
  it('reads vllm:num_requests_waiting / running and maps model ids to servedName', async () => {
    const d = await driverFor('vllm', VLLM, [{ id: 'qwen-7b', servedName: 'Qwen/Qwen2.5-7B-Instruct' }]);
    expect((await d.health()).ok).toBe(true);
    expect(await d.metrics()).toEqual({
      loadedModels: ['Qwen/Qwen2.5-7B-Instruct'],
      queued: 7,
      running: 4,
      kvCacheUsage: 0.42,
    });
    const c = await d.chat({ model: 'qwen-7b', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices[0]?.message.content).toBe('Sure.');
    expect(srv?.requests.at(-1)?.body).toMatchObject({ model: 'Qwen/Qwen2.5-7B-Instruct' });
  });
});

describe('contract: mlx-knife and generic OpenAI drivers', () => {
  it('mlx-knife: health, models, cleaned stream', async () => {
    const d = await driverFor('mlx-knife', MLX_KNIFE);
    expect((await d.health()).ok).toBe(true);
    expect(await d.listModels()).toEqual(['mlx-community/Phi-3-mini-4k-instruct-4bit']);
    const s = await collect(
      d.chatStream({ model: 'm', messages: [{ role: 'user', content: 'q' }], stream: true }),
    );
    expect(s).toEqual({ text: 'Yes.', finish: 'stop' });
  });
  it('generic openai: health is /v1/models; unreachable servers give typed errors', async () => {
    const d = await driverFor('openai', VLLM);
    expect((await d.health()).ok).toBe(true);
    expect(d.observes).toEqual({ loadedModels: false, queueDepth: false, memory: false, metrics: false });
    const down = createDriver({ id: 'gone', url: 'http://127.0.0.1:1', kind: 'openai' });
    expect((await down.health()).ok).toBe(false);
    const err = await down.chat({ model: 'x', messages: [{ role: 'user', content: 'q' }] }).catch((e) => e);
    expect(err).toMatchObject({ code: 'node_unreachable', nodeId: 'gone' });
  });
  it('factory refuses unknown kinds', () => {
    expect(() => createDriver({ id: 'x', url: 'http://127.0.0.1:1', kind: 'tgi' as never })).toThrow(
      /unknown node kind/,
    );
  });
});
