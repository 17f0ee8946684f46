import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/index.js';
import { must, setup } from './helpers.js';

let gateway: RunningGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function start(overrides = {}) {
  const s = setup(overrides);
  gateway = await startGateway({
    config: s.config,
    router: s.router,
    cluster: s.cluster,
    drivers: s.drivers,
    port: 0,
  });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused-key', maxRetries: 0 });
  return { ...s, gateway, client };
}

describe('startGateway with the official openai Node client', () => {
  it('serves non-streaming and streaming calls (usage in the final chunk)', async () => {
    const { client } = await start();
    const { data, response } = await client.chat.completions
      .create({ model: 'broke-auto', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('hello');
    expect(response.headers.get('x-broke-node')).toBe('a');

    const stream = await client.chat.completions.create({
      model: 'm1',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('hello');
    expect(usage).toMatchObject({ completion_tokens: 2 });
  });

  it('streams for real: the first chunk arrives long before the node finishes', async () => {
    const { client, drivers } = await start();
    must(drivers.get('a')).mode = { kind: 'ok', chunks: ['a', 'b', 'c', 'd', 'e'], delayMs: 300 };
    const t0 = performance.now();
    const stream = await client.chat.completions.create({
      model: 'broke-auto',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let first = 0;
    for await (const chunk of stream) {
      if (!first && chunk.choices[0]?.delta?.content) first = performance.now() - t0;
    }
    const total = performance.now() - t0;
    // Relative, so a busy machine cannot fail it: a buffered answer would arrive with the last chunk.
    expect(total).toBeGreaterThan(1200);
    expect(first).toBeLessThan(total / 2);
  });

  it('a client disconnect aborts the upstream call and frees the node slot', async () => {
    const { client, drivers, cluster, router } = await start();
    const driver = must(drivers.get('a'));
    driver.mode = { kind: 'ok', chunks: Array.from({ length: 100 }, (_, i) => `t${i}`), delayMs: 50 };
    const abort = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'broke-auto', messages: [{ role: 'user', content: 'hi' }], stream: true },
      { signal: abort.signal },
    );
    let seen = 0;
    try {
      for await (const _ of stream) {
        seen += 1;
        if (seen === 2) abort.abort();
      }
    } catch {
      // the SDK may end quietly or throw on abort; either way the client is gone
    }
    expect(seen).toBeLessThan(10);
    const signal = must(driver.signals[0]);
    const deadline = Date.now() + 2000;
    while (!signal.aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(signal.aborted).toBe(true);
    expect(cluster.node('a')?.inFlight).toBe(0);
    // a cancelled request is the client's doing, not the node's: no failure outcome is recorded
    expect(router.outcomes.filter((o) => !o.outcome.success)).toHaveLength(0);
  });
});

describe('binding and API keys', () => {
  it('refuses to listen beyond loopback without API keys', async () => {
    const s = setup();
    await expect(
      startGateway({
        config: s.config,
        router: s.router,
        cluster: s.cluster,
        drivers: s.drivers,
        host: '0.0.0.0',
        port: 0,
      }),
    ).rejects.toMatchObject({ code: 'insecure_bind' });
  });

  it('requires Authorization: Bearer when keys are configured', async () => {
    const { gateway: gw } = await start({ gateway: { apiKeys: ['secret-key-1'] } });
    const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'wrong-key-00', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });
    const good = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'secret-key-1', maxRetries: 0 });
    expect((await good.models.list()).data.length).toBeGreaterThan(0);
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  });
});
