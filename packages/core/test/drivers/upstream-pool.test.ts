import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type UpstreamController,
  type UpstreamHandler,
  UpstreamPool,
} from '../../src/drivers/upstream-pool.js';

// The gateway's keep-alive connections to a node (drivers/upstream-pool.ts) against a raw TCP
// server that answers each request exactly as a case says, and counts connections.

const closers: Array<() => void> = [];
afterEach(() => {
  while (closers.length) closers.pop()?.();
});

interface Server {
  url: string;
  connections: net.Socket[];
  /** Each request's head as received, in order. */
  heads: string[];
}

async function rawServer(answer: (socket: net.Socket, n: number) => void): Promise<Server> {
  const s: Server = { url: '', connections: [], heads: [] };
  const server = net.createServer((socket) => {
    s.connections.push(socket);
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.slice(end + 4 + length);
        s.heads.push(head);
        answer(socket, s.heads.length);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => {
    for (const c of s.connections) c.destroy();
    server.close();
  });
  s.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return s;
}

interface Result {
  status: number;
  body: string;
  error?: Error;
  reused: boolean;
}

function post(
  pool: UpstreamPool,
  headers: Record<string, string> = {},
  onStart?: (c: UpstreamController) => void,
) {
  return new Promise<Result>((resolve) => {
    const r: Result = { status: 0, body: '', reused: false };
    const handler: UpstreamHandler = {
      onRequestStart: (c) => {
        r.reused = c.reusedConnection;
        onStart?.(c);
      },
      onResponseStart: (_c, status) => {
        r.status = status;
      },
      onResponseData: (_c, chunk) => {
        r.body += chunk.toString();
      },
      onResponseEnd: () => resolve(r),
      onResponseError: (_c, err) => resolve({ ...r, error: err }),
    };
    pool.dispatch({ path: '/v1/chat/completions', headers, body: '{"a":1}' }, handler);
  });
}

const ok = (text: string) => `HTTP/1.1 200 OK\r\ncontent-length: ${text.length}\r\n\r\n${text}`;
const tick = () => new Promise((r) => setTimeout(r, 30));

describe('UpstreamPool', () => {
  it('sends one POST per request and reuses the connection for the next', async () => {
    const s = await rawServer((socket, n) => socket.write(ok(`answer ${n}`)));
    const pool = new UpstreamPool(s.url);
    expect(await post(pool, { authorization: 'Bearer k' })).toEqual({
      status: 200,
      body: 'answer 1',
      reused: false,
    });
    expect(await post(pool)).toEqual({ status: 200, body: 'answer 2', reused: true });
    expect(s.connections).toHaveLength(1);
    expect(s.heads[0]).toMatch(/^POST \/v1\/chat\/completions HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\n/);
    expect(s.heads[0]).toContain('authorization: Bearer k\r\ncontent-length: 7');
    pool.destroy();
  });

  it('never reads bytes a node sent unasked as the next answer', async () => {
    const s = await rawServer((socket, n) => {
      socket.write(ok(`answer ${n}`));
      // A stray second answer, after the first was read, on the now idle connection.
      if (n === 1) setTimeout(() => socket.write(ok('stray')), 10);
    });
    const pool = new UpstreamPool(s.url);
    expect((await post(pool)).body).toBe('answer 1');
    await tick();
    const second = await post(pool);
    expect(second).toEqual({ status: 200, body: 'answer 2', reused: false });
    expect(s.connections).toHaveLength(2);
  });

  it('does not reuse a connection whose answer came with extra bytes', async () => {
    const s = await rawServer((socket, n) =>
      socket.write(n === 1 ? `${ok('one')}${ok('extra')}` : ok('two')),
    );
    const pool = new UpstreamPool(s.url);
    expect((await post(pool)).body).toBe('one');
    await tick();
    expect(await post(pool)).toEqual({ status: 200, body: 'two', reused: false });
  });

  it('closes a connection left idle for a few seconds, before a node would', async () => {
    const s = await rawServer((socket) => socket.write(ok('x')));
    const pool = new UpstreamPool(s.url);
    await post(pool);
    const conn = s.connections[0] as net.Socket;
    const closedAt = new Promise<number>((r) => conn.once('end', () => r(performance.now())));
    const idleFrom = performance.now();
    // Between 3 and 4 s idle (swept once a second), well before a 5 s server keep-alive timeout.
    const idleMs = (await closedAt) - idleFrom;
    expect(idleMs).toBeGreaterThan(2900);
    expect(idleMs).toBeLessThan(4900);
  }, 10_000);

  it('refuses a header value that would break the request head, sending nothing', async () => {
    const s = await rawServer((socket) => socket.write(ok('x')));
    const pool = new UpstreamPool(s.url);
    const r = await post(pool, { 'x-evil': 'a\r\nx-injected: 1' });
    expect(r.error?.message).toMatch(/invalid value for the x-evil header/);
    expect(s.connections).toHaveLength(0);
  });

  it('an abort ends the request with its reason and drops the connection', async () => {
    const s = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n'),
    );
    const pool = new UpstreamPool(s.url);
    let controller: UpstreamController | undefined;
    const pending = post(pool, {}, (c) => {
      controller = c;
    });
    await tick();
    controller?.abort(new Error('caller left'));
    const r = await pending;
    expect(r).toMatchObject({ status: 200, body: 'abc' });
    expect(r.error?.message).toBe('caller left');
    await tick();
    expect(s.connections[0]?.destroyed || s.connections[0]?.readableEnded).toBe(true);
  });

  it('speaks HTTPS: the certificate is verified, and a trusted node answers over TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broke-tls-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const server = https.createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => {
        let body = '';
        req.on('data', (d) => {
          body += d;
        });
        req.on('end', () => res.end(`tls ${req.headers.host} ${body}`));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => server.close());
    const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    // A self-signed certificate is refused like any untrusted one.
    expect((await post(new UpstreamPool(url))).error?.message).toMatch(/self-signed certificate/);
    // Trusted (verification off for this one connection attempt), the same exchange works over TLS.
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const pool = new UpstreamPool(url);
      const pending = post(pool);
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
      expect(await pending).toMatchObject({ status: 200, body: `tls ${url.slice(8)} {"a":1}` });
      pool.destroy();
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    }
  });
});
