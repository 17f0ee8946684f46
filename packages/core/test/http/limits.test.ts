import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/index.js';
import { chatBody, setup } from './helpers.js';

/**
 * Connection exhaustion (issue 14, finding 5): idle and trickling sockets cannot hold the gateway.
 * Small limits here so the test is quick; the defaults are DEFAULT_LIMITS.
 */
let gateway: RunningGateway | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
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
    limits: {
      maxConnections: 8,
      headersTimeoutMs: 600,
      requestTimeoutMs: 1200,
      keepAliveTimeoutMs: 300,
      checkIntervalMs: 100,
    },
  });
  return Object.assign(gateway, { drivers: s.drivers });
}

/** A raw TCP connection to the gateway; resolves once connected, records when it closes. */
function connect(port: number): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => resolve({ socket, closed }));
    sockets.push(socket);
    socket.on('error', () => {});
    socket.resume(); // flowing, so the server's close is seen
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - t0)));
  });
}

const chat = (gw: RunningGateway) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: chatBody(),
  });

describe('connection limits', () => {
  it('idle connections beyond the cap are dropped and the rest time out; then clients are served', async () => {
    const gw = await start();
    const conns = await Promise.all(Array.from({ length: 14 }, () => connect(gw.port)));
    // Over the cap: closed at once by the server.
    const early = await Promise.all(
      conns.map((c) => Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), 200))])),
    );
    expect(early.filter((ms) => ms >= 0).length).toBeGreaterThanOrEqual(6);
    // The ones it kept sent no headers: closed by the headers timeout, not held for minutes.
    const all = await Promise.all(conns.map((c) => c.closed));
    expect(Math.max(...all)).toBeLessThan(3000);
    expect((await chat(gw)).status).toBe(200);
  });

  it('a client trickling its headers (slowloris) is cut at the headers timeout', async () => {
    const gw = await start();
    const { socket, closed } = await connect(gw.port);
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
    try {
      expect(await closed).toBeLessThan(3000);
    } finally {
      clearInterval(drip);
    }
    expect((await chat(gw)).status).toBe(200);
  });

  it('an idle keep-alive connection is closed after keepAliveTimeout', async () => {
    const gw = await start();
    const { socket, closed } = await connect(gw.port);
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const ms = await closed;
    expect(ms).toBeLessThan(2500);
  });

  it('one client cannot hold more than maxRequestsPerClient requests at once (429), then is served again', async () => {
    const gw = await start({ gateway: { limits: { maxRequestsPerClient: 2 } } });
    for (const d of gw.drivers.values()) d.mode = { kind: 'hang' };
    const aborts = [new AbortController(), new AbortController()];
    const held = aborts.map((a) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chatBody(),
        signal: a.signal,
      }).catch(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 150));
    const third = await chat(gw);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('client_concurrency');
    for (const a of aborts) a.abort();
    await Promise.all(held);
    await new Promise((r) => setTimeout(r, 100));
    for (const d of gw.drivers.values()) d.mode = { kind: 'ok' };
    expect((await chat(gw)).status).toBe(200);
  });
});
