import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createDriver } from '../../src/drivers/factory.js';
import type { DriverNode } from '../../src/drivers/openai-compatible.js';
import type { ChatChunk, ReadyIterator } from '../../src/spec/index.js';
import { LLAMACPP, MLX_KNIFE, OLLAMA, type Routes, serveFixtures, VLLM } from './fixtures.js';

// chatStreamRaw is the gateway's pass-through: it must say what chatStream says (same text, same
// cleaning, same errors) while handing payloads on unparsed.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

const req = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], stream: true as const };

async function rawChunks(stream: AsyncIterable<string[]>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const batch of stream) for (const p of batch) out.push(JSON.parse(p) as ChatChunk);
  return out;
}
function summary(chunks: ChatChunk[]) {
  let text = '';
  let finish: string | null | undefined;
  for (const c of chunks) {
    text += c.choices[0]?.delta?.content ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  return { text, finish };
}
async function parsedChunks(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

/** A node that writes exactly `parts` (each its own socket write, with a pause between). */
async function rawNode(
  parts: string[],
  status = 200,
  contentType = 'text/event-stream',
  pauseMs = 5,
): Promise<string> {
  const server: Server = createServer((rq, res) => {
    rq.resume();
    rq.on('end', async () => {
      res.writeHead(status, { 'content-type': contentType });
      for (const p of parts) {
        res.write(p);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections(); // the driver pools keep-alive connections
        server.close(() => r());
      }),
  );
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}
const driverAt = (url: string, kind: DriverNode['kind'] = 'openai') => createDriver({ id: 'n', url, kind });
const ev = (content: string | null, finish: string | null = null) =>
  JSON.stringify({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'served',
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  });

describe('chatStreamRaw matches chatStream', () => {
  for (const [name, routes, kind] of [
    ['ollama', OLLAMA, 'ollama'],
    ['llamacpp', LLAMACPP, 'llamacpp'],
    ['vllm', VLLM, 'vllm'],
    ['mlx-knife', MLX_KNIFE, 'mlx-knife'],
  ] as Array<[string, Routes, DriverNode['kind']]>) {
    it(`${name}: same text and finish (stop tokens cleaned)`, async () => {
      const srv = await serveFixtures(routes);
      closers.push(() => srv.close());
      const d = createDriver({ id: name, url: srv.url, kind });
      const viaSdk = summary(await parsedChunks(d.chatStream(req)));
      expect(summary(await rawChunks(d.chatStreamRaw(req)))).toEqual(viaSdk);
    });
  }

  it('passes clean payloads through byte for byte and ends before [DONE]', async () => {
    const a = ev('Hello');
    const b = `{"id": "c", "model": "x", "choices": [{"index": 0, "delta": {"content": " world"}}]}`;
    const url = await rawNode([`data: ${a}\n\ndata:${b}\r\n\r\n: keep-alive\n\n`, 'data: [DONE]\n\n']);
    const batches: string[][] = [];
    for await (const batch of driverAt(url).chatStreamRaw(req)) batches.push(batch);
    expect(batches.flat()).toEqual([a, b]);
  });

  it('cleans a stop token split across network reads, also when the server escapes <', async () => {
    const url = await rawNode([
      `data: ${ev('Hi there')}\n\ndata: ${ev('!<|eo')}\n`,
      `\ndata: ${ev('t_id|>leak')}\n\n`,
      `data: ${ev('more leak')}\n\ndata: [DONE]\n\n`,
    ]);
    const chunks = await rawChunks(driverAt(url).chatStreamRaw(req));
    expect(summary(chunks)).toEqual({ text: 'Hi there!', finish: 'stop' });
    const escaped = await rawNode([
      `data: ${ev('Yes.')}\n\n`,
      `data: ${ev('x').replace('"x"', '"\\u003c|im_end|\\u003e tail"')}\n\ndata: [DONE]\n\n`,
    ]);
    expect(summary(await rawChunks(driverAt(escaped).chatStreamRaw(req)))).toEqual({
      text: 'Yes.',
      finish: 'stop',
    });
  });

  it('releases held-back text when the stream ends without finish_reason', async () => {
    const url = await rawNode([`data: ${ev('a <')}\n\ndata: [DONE]\n\n`]);
    expect(summary(await rawChunks(driverAt(url).chatStreamRaw(req))).text).toBe('a <');
  });

  it('a node error status is the same typed error as through the SDK', async () => {
    const url = await rawNode(['{"error":{"message":"bad things","type":"x"}}'], 500, 'application/json');
    const d = driverAt(url);
    const viaSdk = await parsedChunks(d.chatStream(req)).catch((e) => e);
    const raw = await rawChunks(d.chatStreamRaw(req)).catch((e) => e);
    expect(raw).toMatchObject({ code: viaSdk.code, status: viaSdk.status, message: viaSdk.message });
    expect(raw.cause?.status).toBe(500);
    const down = await rawChunks(driverAt('http://127.0.0.1:1').chatStreamRaw(req)).catch((e) => e);
    expect(down).toMatchObject({ code: 'node_unreachable', nodeId: 'n' });
  });

  it('an error event inside the stream throws', async () => {
    const url = await rawNode([`data: ${ev('a')}\n\n`, 'data: {"error":{"message":"oom"}}\n\n']);
    const seen: string[] = [];
    const err = await (async () => {
      for await (const batch of driverAt(url).chatStreamRaw(req)) seen.push(...batch);
    })().catch((e) => e);
    expect(seen).toHaveLength(1);
    expect(String(err.message)).toMatch(/oom/);
  });

  it('an abort ends the request', async () => {
    const url = await rawNode([`data: ${ev('a')}\n\n`, `data: ${ev('b')}\n\n`, `data: ${ev('c')}\n\n`]);
    const ac = new AbortController();
    // Batches, not events: on a loaded machine the first two events may arrive in one read, and
    // both came out before the abort. What must not happen is another batch after it.
    const seen: string[][] = [];
    const err = await (async () => {
      for await (const batch of driverAt(url).chatStreamRaw(req, { signal: ac.signal })) {
        seen.push(batch);
        // A slow consumer: the next event has arrived by the time it aborts, and must not come
        // out after the abort.
        await new Promise((r) => setTimeout(r, 20));
        ac.abort();
      }
    })().catch((e) => e);
    expect(seen).toHaveLength(1);
    expect(err).toMatchObject({ code: 'node_timeout' });
  });

  it('resends once when a reused keep-alive connection turns out closed', async () => {
    // The server answers the first request on a connection, then drops the connection on the
    // next one without answering, as a server whose keep-alive timeout just fired does.
    const seen = new WeakMap<object, number>();
    const server: Server = createServer((rq, res) => {
      const n = (seen.get(rq.socket) ?? 0) + 1;
      seen.set(rq.socket, n);
      rq.resume();
      rq.on('end', () => {
        if (n > 1) {
          rq.socket.destroy();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${ev('ok')}\n\ndata: [DONE]\n\n`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(
      () =>
        new Promise((r) => {
          server.closeAllConnections(); // the driver pools keep-alive connections
          server.close(() => r());
        }),
    );
    const addr = server.address();
    const d = driverAt(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
    for (let i = 0; i < 3; i++) expect(summary(await rawChunks(d.chatStreamRaw(req))).text).toBe('ok');
  });
});

describe('chatStreamRaw: what the node already sent is ready without waiting', () => {
  const iterOf = (stream: AsyncIterable<string[]>) =>
    stream[Symbol.asyncIterator]() as ReadyIterator<string[]>;

  it('a whole answer in one read: the end is ready once the batch is taken', async () => {
    const [a, b] = [ev('Hello'), ev(' world', 'stop')];
    const it = iterOf(
      driverAt(await rawNode([`data: ${a}\n\ndata: ${b}\n\ndata: [DONE]\n\n`])).chatStreamRaw(req),
    );
    expect(it.ready?.()).toBeUndefined(); // nothing sent yet
    expect(await it.next()).toEqual({ value: [a, b], done: false });
    expect(it.ready?.()).toEqual({ value: undefined, done: true });
  });

  it('a node still writing: nothing is ready until its next read arrives', async () => {
    const [a, b] = [ev('Hello'), ev(' world', 'stop')];
    // A long pause between the node's writes, so a busy machine cannot read them as one.
    const url = await rawNode(
      [`data: ${a}\n\n`, `data: ${b}\n\ndata: [DONE]\n\n`],
      200,
      'text/event-stream',
      100,
    );
    const it = iterOf(driverAt(url).chatStreamRaw(req));
    expect(await it.next()).toEqual({ value: [a], done: false });
    expect(it.ready?.()).toBeUndefined(); // the node's next write is 100 ms away
    expect(await it.next()).toEqual({ value: [b], done: false });
    expect(it.ready?.()).toEqual({ value: undefined, done: true });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('cleaning applies to what is ready as to what is awaited', async () => {
    const url = await rawNode([
      `data: ${ev('Hi')}\n\n`,
      `data: ${ev('!<|im_end|>leak')}\n\ndata: ${ev('more')}\n\ndata: [DONE]\n\n`,
    ]);
    const it = iterOf(driverAt(url).chatStreamRaw(req));
    const seen: ChatChunk[] = [];
    for (let r = await it.next(); !r.done; r = it.ready?.() ?? (await it.next()))
      for (const p of r.value) seen.push(JSON.parse(p) as ChatChunk);
    expect(summary(seen)).toEqual({ text: 'Hi!', finish: 'stop' });
  });
});
