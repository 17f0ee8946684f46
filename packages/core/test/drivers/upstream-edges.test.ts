import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDriver } from '../../src/drivers/factory.js';
import type { ChatChunk } from '../../src/spec/index.js';

// The gateway's upstream client (drivers/upstream-post.ts) against answers shaped byte by byte:
// framings real servers use, and the ways a node can fail mid-answer. A raw TCP server writes
// exactly what each case says, once the request's headers have arrived.

const closers: Array<() => void> = [];
afterEach(() => {
  while (closers.length) closers.pop()?.();
});

const ev = (content: string | null, finish: string | null = null) =>
  JSON.stringify({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  });
const SSE = `data: ${ev('a')}\n\ndata: ${ev('b', 'stop')}\n\ndata: [DONE]\n\n`;
const req = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], stream: true as const };

async function rawServer(respond: (socket: net.Socket) => void): Promise<string> {
  const server = net.createServer((socket) => {
    let head = '';
    let answered = false;
    socket.on('error', () => {});
    socket.on('data', (d) => {
      head += d;
      if (!answered && head.includes('\r\n\r\n')) {
        answered = true;
        respond(socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => server.close());
  const addr = server.address() as net.AddressInfo;
  return `http://127.0.0.1:${addr.port}`;
}

async function text(url: string): Promise<string> {
  const driver = createDriver({ id: 'n', url, kind: 'openai', requestTimeoutMs: 2000 });
  let out = '';
  for await (const batch of driver.chatStreamRaw(req))
    for (const p of batch) out += (JSON.parse(p) as ChatChunk).choices[0]?.delta?.content ?? '';
  return out;
}

describe('upstream transport: framings and failures', () => {
  it('reads a close-delimited HTTP/1.0 answer (as mlx_lm.server sends)', async () => {
    const url = await rawServer((s) =>
      s.end(`HTTP/1.0 200 OK\r\ncontent-type: text/event-stream\r\n\r\n${SSE}`),
    );
    expect(await text(url)).toBe('ab');
  });

  it('reads a chunked answer with chunk extensions and trailers', async () => {
    const url = await rawServer((s) => {
      const body = Buffer.from(SSE);
      s.write(
        'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\ntrailer: x-t\r\n\r\n',
      );
      s.write(`${body.length.toString(16)};ext=1\r\n`);
      s.write(body);
      s.write('\r\n0\r\nx-t: 1\r\n\r\n');
    });
    expect(await text(url)).toBe('ab');
  });

  it('keeps a character whose UTF-8 bytes arrive in two network reads', async () => {
    const body = Buffer.from(`data: ${ev('héllo 🎉')}\n\ndata: ${ev(null, 'stop')}\n\ndata: [DONE]\n\n`);
    const cut = body.indexOf(Buffer.from('🎉')) + 2;
    const url = await rawServer((s) => {
      s.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${body.length}\r\n\r\n`);
      s.write(body.subarray(0, cut));
      setTimeout(() => s.end(body.subarray(cut)), 20);
    });
    expect(await text(url)).toBe('héllo 🎉');
  });

  for (const [how, cut] of [
    ['resets', (s: net.Socket) => s.resetAndDestroy()],
    ['closes', (s: net.Socket) => s.end()],
  ] as const) {
    it(`a node that ${how} the connection mid-answer is unreachable, not a timeout`, async () => {
      const url = await rawServer((s) => {
        const first = `data: ${ev('a')}\n\n`;
        s.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
        s.write(`${Buffer.byteLength(first).toString(16)}\r\n${first}\r\n`);
        setTimeout(() => cut(s), 20);
      });
      const err = await text(url).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'node_unreachable', status: 502 });
      expect(String((err as Error).message)).toMatch(/closed the stream before it ended/);
    });
  }

  it('a node that never answers times out at the call limit, with its own code', async () => {
    const url = await rawServer(() => {});
    const driver = createDriver({ id: 'n', url, kind: 'openai', requestTimeoutMs: 300 });
    const t0 = performance.now();
    const err = await (async () => {
      for await (const _ of driver.chatStreamRaw(req)) {
        // nothing arrives
      }
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'node_timeout' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('an answer that is not HTTP is a connection error', async () => {
    const url = await rawServer((s) => s.end('HELLO\r\n\r\n'));
    await expect(text(url)).rejects.toMatchObject({ code: 'node_unreachable', status: 502 });
  });
});
