import { createServer, type Server } from 'node:http';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createDriver, type RunningGateway, startGateway } from '../../src/index.js';
import { chatBody, must, setup, sseData } from './helpers.js';

// The gateway's streaming pass-through with the real node driver (chatStreamRaw) against HTTP
// nodes: the bytes are forwarded, but the client still sees BROKE's model, usage only when asked,
// failover before the first token and stream_interrupted after it.

const closers: Array<() => Promise<void>> = [];
let gateway: RunningGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  while (closers.length) await closers.pop()?.();
});

type Script = (res: import('node:http').ServerResponse) => void | Promise<void>;
const chunk = (content: string | null, finish: string | null = null) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"served-name","choices":[{"index":0,"delta":${content === null ? '{}' : JSON.stringify({ content })},"finish_reason":${finish ? `"${finish}"` : null}}],"usage":null}\n\n`;
const usage =
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"served-name","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}\n\n';
const ok: Script = (res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(`${chunk('hel')}${chunk('lo')}${chunk(null, 'stop')}${usage}data: [DONE]\n\n`);
};

async function node(script: () => Script): Promise<{ url: string; bodies: unknown[]; closed: () => number }> {
  const bodies: unknown[] = [];
  let closed = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => {
      raw += d;
    });
    req.on('end', () => {
      if (req.method === 'GET') {
        // A health check (the gateway probes a node that failed a request): up, with no models.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[]}');
        return;
      }
      bodies.push(JSON.parse(raw));
      res.on('close', () => {
        if (!res.writableFinished) closed += 1;
      });
      void script()(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    bodies,
    closed: () => closed,
  };
}

async function start(urls: { a: string; b: string }) {
  const s = setup({
    nodes: [
      {
        id: 'a',
        url: urls.a,
        kind: 'openai',
        models: [{ id: 'm1', servedName: 'served-m1' }],
        maxConcurrency: 2,
      },
      {
        id: 'b',
        url: urls.b,
        kind: 'openai',
        models: [{ id: 'm1', servedName: 'served-m1-b' }],
        maxConcurrency: 2,
      },
    ],
  });
  const drivers = new Map(s.config.nodes.map((n) => [n.id, createDriver(n)]));
  gateway = await startGateway({
    config: s.config,
    router: s.router,
    cluster: s.cluster,
    drivers,
    port: 0,
    bridges: [],
  });
  return { ...s, gateway };
}

const post = (gw: RunningGateway, extra: Record<string, unknown> = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: chatBody({ stream: true, ...extra }),
  });

describe('streaming pass-through (real driver, HTTP nodes)', () => {
  it("forwards the node's chunks with BROKE's model, usage only when asked, usage recorded", async () => {
    const a = await node(() => ok);
    const { gateway: gw, router } = await start({ a: a.url, b: a.url });
    const res = await post(gw);
    expect(res.headers.get('x-broke-node')).toBe('a');
    const events = sseData(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.map((c) => c.model)).toEqual(['m1', 'm1', 'm1']);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('hello');
    expect(chunks.every((c) => !c.usage)).toBe(true);
    expect(a.bodies[0]).toMatchObject({
      model: 'served-m1',
      stream: true,
      stream_options: { include_usage: true },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(router.outcomes.at(-1)?.outcome).toMatchObject({ success: true, tokens: 2, promptTokens: 4 });

    const withUsage = sseData(await (await post(gw, { stream_options: { include_usage: true } })).text());
    const last = JSON.parse(must(withUsage.at(-2)));
    expect(last).toMatchObject({ model: 'm1', choices: [], usage: { completion_tokens: 2 } });
  });

  it('the official client reads it; an estimate replaces usage a node does not send', async () => {
    const a = await node(() => (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${chunk('a')}${chunk('b')}${chunk('c')}${chunk(null, 'stop')}data: [DONE]\n\n`);
    });
    const { gateway: gw } = await start({ a: a.url, b: a.url });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'broke-auto',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let tokens: number | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) tokens = c.usage.completion_tokens;
    }
    expect(text).toBe('abc');
    expect(tokens).toBe(3);
  });

  it('fails over before the first token; stream_interrupted after it', async () => {
    const down = await node(() => (res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"boom"}}');
    });
    const b = await node(() => ok);
    const { gateway: gw, router } = await start({ a: down.url, b: b.url });
    const res = await post(gw);
    expect(res.headers.get('x-broke-node')).toBe('b');
    expect(sseData(await res.text()).at(-1)).toBe('[DONE]');
    const routeId = must(res.headers.get('x-broke-route-id'));
    expect(router.explain(routeId)?.attempts.map((x) => [x.nodeId, x.ok])).toEqual([
      ['a', false],
      ['b', true],
    ]);

    const mid = await node(() => (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('partial'));
      setTimeout(() => res.destroy(), 30);
    });
    await gateway?.close();
    const again = await start({ a: mid.url, b: b.url });
    const events = sseData(await (await post(again.gateway)).text());
    expect(events).not.toContain('[DONE]');
    expect(JSON.parse(must(events.at(-1)))).toMatchObject({ error: { code: 'stream_interrupted' } });
    expect(JSON.parse(must(events[0])).choices[0].delta.content).toBe('partial');
  });

  it('a client disconnect aborts the upstream request and frees the slot', async () => {
    const slow = await node(() => async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 100 && !res.destroyed; i++) {
        res.write(chunk(`t${i}`));
        await new Promise((r) => setTimeout(r, 30));
      }
      res.end('data: [DONE]\n\n');
    });
    const { gateway: gw, cluster, router } = await start({ a: slow.url, b: slow.url });
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody({ stream: true }),
      signal: ac.signal,
    });
    const reader = must(res.body).getReader();
    await reader.read();
    ac.abort();
    const deadline = Date.now() + 2000;
    while (slow.closed() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(slow.closed()).toBe(1);
    expect(cluster.node('a')?.inFlight).toBe(0);
    expect(router.outcomes.filter((o) => !o.outcome.success)).toHaveLength(0);
  });
});

describe('non-streaming pass-through (real driver, HTTP nodes)', () => {
  const completion = (content: string) =>
    JSON.stringify({
      id: 'cmpl-x',
      object: 'chat.completion',
      created: 1,
      model: 'served-name',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
  const postPlain = (gw: RunningGateway) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody(),
    });

  it("relays the node's JSON with BROKE's model, cuts leaked stop tokens, records usage", async () => {
    let content = 'hello there';
    const a = await node(() => (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completion(content));
    });
    const { gateway: gw, router } = await start({ a: a.url, b: a.url });
    const res = await postPlain(gw);
    expect(res.status).toBe(200);
    const body = await res.json();
    // The completion's id is the route id (what clients rate and explain by).
    expect(body).toMatchObject({
      id: res.headers.get('x-broke-route-id'),
      model: 'm1',
      choices: [{ message: { content: 'hello there' } }],
    });
    expect(a.bodies[0]).toMatchObject({ model: 'served-m1', stream: false });
    await new Promise((r) => setTimeout(r, 20));
    expect(router.outcomes.at(-1)?.outcome).toMatchObject({ success: true, tokens: 3, promptTokens: 5 });

    content = 'done<|im_end|>leaked tail';
    const cleaned = (await (await postPlain(gw)).json()) as {
      choices: Array<{ message: { content: string } }>;
    };
    expect(cleaned.choices[0]?.message.content).toBe('done');
    // The official client reads the relayed body.
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
    content = 'hi';
    const viaSdk = await client.chat.completions.create({
      model: 'broke-auto',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(viaSdk.choices[0]?.message.content).toBe('hi');
    expect(viaSdk.model).toBe('m1');
  });

  it('a body cut short is a failure (failover to the next node), never a partial answer', async () => {
    const cut = await node(() => (res) => {
      // HTTP/1.0-style close-delimited body that stops mid-JSON.
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.write(completion('never finished').slice(0, 40));
      res.socket?.destroy();
    });
    const good = await node(() => (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completion('from b'));
    });
    const { gateway: gw, router } = await start({ a: cut.url, b: good.url });
    const res = await postPlain(gw);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-broke-node')).toBe('b');
    expect(
      ((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message
        .content,
    ).toBe('from b');
    const routeId = must(res.headers.get('x-broke-route-id'));
    expect(router.explain(routeId)?.attempts.map((x) => [x.nodeId, x.ok])).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });
});

describe("a node's error text", () => {
  it('reaches the client without the node’s paths and addresses (and a 400 is not failed over)', async () => {
    const leaky = await node(() => (res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: 'bad top_logprobs in /Users/ops/models/qwen-14b/config.json via 10.0.0.7:8080' },
        }),
      );
    });
    const other = await node(() => (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const { gateway: gw } = await start({ a: leaky.url, b: other.url });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody(),
    });
    expect(res.status).toBe(400);
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    expect(message).toContain('bad top_logprobs');
    expect(message).not.toMatch(/\/Users|10\.0\.0\.7|127\.0\.0\.1/);
    expect(other.bodies).toHaveLength(0);
  });
});

describe('what nodes and clients must not get', () => {
  it('NaN / Infinity a Python node writes become null (valid JSON), streamed or not', async () => {
    const nan = await node(() => (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        '{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"NaN is fine here"},"logprobs":{"content":[{"token":"a","logprob":-Infinity}]}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}',
      );
    });
    const { gateway: gw } = await start({ a: nan.url, b: nan.url });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody(),
    });
    const body = (await res.json()) as {
      choices: Array<{ message: { content: string }; logprobs: { content: Array<{ logprob: null }> } }>;
    };
    expect(body.choices[0]?.message.content).toBe('NaN is fine here');
    expect(body.choices[0]?.logprobs.content[0]?.logprob).toBeNull();
  });

  it('fields that would make a node load a path (draft_model, adapters) are not forwarded', async () => {
    const ok = await node(() => (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completionOk);
    });
    const { gateway: gw } = await start({ a: ok.url, b: ok.url });
    await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody({ draft_model: '/etc', adapters: 'some/repo', temperature: 0.5 }),
    });
    expect(ok.bodies[0]).toMatchObject({ temperature: 0.5 });
    expect(ok.bodies[0]).not.toHaveProperty('draft_model');
    expect(ok.bodies[0]).not.toHaveProperty('adapters');
  });
});

const completionOk = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
