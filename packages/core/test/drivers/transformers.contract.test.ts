import { afterEach, describe, expect, it } from 'vitest';
import { detectServer } from '../../src/cli/discovery.js';
import { createDriver } from '../../src/drivers/factory.js';
import type { ChatChunk } from '../../src/spec/index.js';
import { type FixtureServer, type Routes, serveFixtures } from './fixtures.js';
import {
  TRANSFORMERS,
  TRANSFORMERS_CB_DEAD,
  TRANSFORMERS_MODEL,
  TRANSFORMERS_PINNED_OTHER,
  TRANSFORMERS_UNPINNED,
} from './transformers-fixtures.js';

// CONTRACT TESTS over responses recorded from a real `transformers serve` (transformers-fixtures.ts).
// The real server runs in transformers.integration.test.ts when its venv is set up.

let srv: FixtureServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

async function driverFor(routes: Routes) {
  srv = await serveFixtures(routes);
  return createDriver({
    id: 'hf',
    url: srv.url,
    kind: 'transformers',
    models: [{ id: 'leaky', servedName: TRANSFORMERS_MODEL }],
  });
}

const ask = { model: 'leaky', messages: [{ role: 'user' as const, content: 'hi' }] };

async function text(stream: AsyncIterable<ChatChunk>): Promise<{ text: string; finish?: string | null }> {
  let out = '';
  let finish: string | null | undefined;
  for await (const c of stream) {
    out += c.choices[0]?.delta?.content ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  return { text: out, finish };
}

describe('contract: transformers serve driver (recorded)', () => {
  it('reads health, its models and which are loaded (status.value)', async () => {
    const d = await driverFor(TRANSFORMERS);
    expect(d.kind).toBe('transformers');
    expect((await d.health()).ok).toBe(true);
    expect(await d.listModels()).toEqual([TRANSFORMERS_MODEL]);
    expect(await d.metrics()).toEqual({ loadedModels: [TRANSFORMERS_MODEL] });
  });

  it('sends the served name and cuts the leaked </s> (chat, SDK stream, raw stream without [DONE])', async () => {
    const d = await driverFor(TRANSFORMERS);
    const c = await d.chat(ask);
    expect(c.choices[0]?.message.content).toBe('The answer is 42.');
    expect(srv?.requests.at(-1)?.body).toMatchObject({ model: TRANSFORMERS_MODEL, stream: false });
    expect(JSON.parse(await d.chatRaw(ask)).choices[0].message.content).toBe('The answer is 42.');

    expect(await text(d.chatStream({ ...ask, stream: true }))).toEqual({
      text: 'The answer is 42.',
      finish: 'stop',
    });
    let raw = '';
    for await (const batch of d.chatStreamRaw({ ...ask, stream: true }))
      for (const p of batch) raw += (JSON.parse(p) as ChatChunk).choices[0]?.delta?.content ?? '';
    expect(raw).toBe('The answer is 42.');
  });

  it("a pinned server's 400 for another model is a client error (node_http_error 400), not a dead node", async () => {
    const d = await driverFor(TRANSFORMERS_PINNED_OTHER);
    const err = await d.chat({ ...ask, model: 'other' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'node_http_error', status: 400, nodeId: 'hf' });
  });

  it('a dead continuous-batching worker (503 /health) is not healthy', async () => {
    const d = await driverFor(TRANSFORMERS_CB_DEAD);
    expect(await d.health()).toMatchObject({ ok: false, error: 'health answered 503' });
  });
});

describe('contract: discovery tells transformers serve from mlx_lm.server', () => {
  it('pinned to a local path (listed like mlx_lm.server lists it): transformers by model status', async () => {
    srv = await serveFixtures(TRANSFORMERS);
    expect(await detectServer(srv.url)).toEqual({
      url: srv.url,
      kind: 'transformers',
      models: [TRANSFORMERS_MODEL],
    });
  });
  it('nothing listed yet: transformers by the x-request-id on /health', async () => {
    srv = await serveFixtures(TRANSFORMERS_UNPINNED);
    expect((await detectServer(srv.url))?.kind).toBe('transformers');
  });
  it('the same shapes without its markers stay mlx / openai', async () => {
    srv = await serveFixtures({
      'GET /health': { json: { status: 'ok' } },
      'GET /v1/models': { json: { object: 'list', data: [{ id: TRANSFORMERS_MODEL, object: 'model' }] } },
    });
    expect((await detectServer(srv.url))?.kind).toBe('mlx');
    await srv.close();
    srv = await serveFixtures({
      'GET /health': { json: { status: 'ok' } },
      'GET /v1/models': { json: { object: 'list', data: [] } },
    });
    expect((await detectServer(srv.url))?.kind).toBe('openai');
  });
});
