import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createGatewayHttp,
  type GatewayBridge,
  MemoryStatsStore,
  Router,
  type RunningGateway,
  startGateway,
} from '../../src/index.js';
import { chatBody, type Json, setup, sseData } from './helpers.js';

/**
 * The chat lane (src/http/chat-lane.ts) serves chat POSTs with a Content-Length on Node's own
 * request and response; hono serves the rest. Everything a caller sees must be the same either
 * way, so each check below is made through the lane and through hono (a chunked body) alike.
 */
let gateway: RunningGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

const KEY = 'sk-lane-user';
const OTHER_KEY = 'sk-lane-other';
const ADMIN_KEY = 'sk-lane-admin';

async function start(overrides = {}, options: { realRouter?: boolean; bridges?: GatewayBridge[] } = {}) {
  const s = setup(overrides);
  const router = options.realRouter
    ? await Router.create({ config: s.config, cluster: s.cluster, store: new MemoryStatsStore() })
    : s.router;
  gateway = await startGateway({
    config: s.config,
    router,
    cluster: s.cluster,
    drivers: s.drivers,
    port: 0,
    bridges: options.bridges ?? [],
  });
  return Object.assign(gateway, { drivers: s.drivers });
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * POSTs `body` over node:http: `chunked` sends it without a Content-Length (the way to hono),
 * else with one (the lane).
 */
function post(
  base: string,
  body: string,
  opts: { path?: string; chunked?: boolean; headers?: Record<string, string>; agent?: http.Agent } = {},
): Promise<Answer> {
  const url = new URL(`${base}${opts.path ?? '/v1/chat/completions'}`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        ...(opts.agent ? { agent: opts.agent } : {}),
        headers: {
          'content-type': 'application/json',
          ...(opts.chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          ...opts.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    if (opts.chunked) {
      // Two writes: node sends the body chunked.
      req.write(body.slice(0, 1));
      req.end(body.slice(1));
    } else req.end(body);
  });
}

const both = [
  ['lane', false],
  ['hono', true],
] as const;

describe('the chat lane', () => {
  it('takes chat POSTs with a Content-Length (query string and bridge prefixes too); hono takes the rest', async () => {
    const bridge: GatewayBridge = { prefix: 'crewai', framework: 'crewai', extractor: () => ({}) };
    const s = setup();
    const { app, lane } = createGatewayHttp({
      config: s.config,
      router: s.router,
      cluster: s.cluster,
      drivers: s.drivers,
      bridges: [bridge],
    });
    const toHono: string[] = [];
    const server = http.createServer(
      lane((req, res) => {
        toHono.push(`${req.method} ${req.url}${req.headers['content-length'] ? '' : ' (chunked)'}`);
        // What hono would answer is not this test's concern: a plain 418 marks the hand-over.
        res.writeHead(418).end();
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(app).toBeDefined();
      expect((await post(base, chatBody())).status).toBe(200);
      expect((await post(base, chatBody(), { path: '/v1/chat/completions?trace=1' })).status).toBe(200);
      expect((await post(base, chatBody(), { path: '/crewai/v1/chat/completions' })).status).toBe(200);
      expect(toHono).toEqual([]);
      expect((await post(base, chatBody(), { chunked: true })).status).toBe(418);
      expect((await post(base, chatBody(), { path: '/v1/chat/completions/' })).status).toBe(418);
      expect((await post(base, '{}', { path: '/v1/feedback' })).status).toBe(418);
      const get = await fetch(`${base}/v1/chat/completions`);
      expect(get.status).toBe(418);
      expect(toHono).toEqual([
        'POST /v1/chat/completions (chunked)',
        'POST /v1/chat/completions/',
        'POST /v1/feedback',
        'GET /v1/chat/completions (chunked)',
      ]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('answers bad input with the same OpenAI errors as hono', async () => {
    const gw = await start({ gateway: { maxBodyBytes: 10_000 } });
    const cases: Array<[string, number, string | null]> = [
      ['{"model": ', 400, null],
      ['[1,2]', 400, null],
      [JSON.stringify({ model: 'broke-auto' }), 400, 'messages'],
      [chatBody({ temperature: 9 }), 400, 'temperature'],
      [chatBody({ model: 'gpt-17' }), 404, null],
    ];
    for (const [body, status, param] of cases) {
      const [lane, hono] = await Promise.all(both.map(([, chunked]) => post(gw.url, body, { chunked })));
      for (const answer of [lane, hono] as Answer[]) {
        expect(answer.status).toBe(status);
        expect(answer.headers['content-type']).toMatch(/^application\/json/);
        const error = (JSON.parse(answer.text) as Json).error;
        expect(error).toMatchObject({ type: expect.any(String), message: expect.any(String) });
        if (param) expect(error.param).toBe(param);
      }
      expect(JSON.parse((lane as Answer).text)).toEqual(JSON.parse((hono as Answer).text));
    }
  });

  it('reads a body that arrives after its headers, in parts, whole', async () => {
    const gw = await start();
    const body = chatBody({ messages: [{ role: 'user', content: 'héllo '.repeat(2000) }] });
    const bytes = Buffer.from(body);
    const socket = net.connect(gw.port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('utf8');
        if (text.includes('\r\n\r\n') && text.trimEnd().endsWith('}')) resolve(text);
      });
    });
    const pause = () => new Promise((r) => setTimeout(r, 30));
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\n\r\n`,
    );
    await pause();
    // Split inside a two-byte character: the parts are joined as bytes, not as text.
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    socket.write(bytes.subarray(0, cut));
    await pause();
    socket.write(bytes.subarray(cut));
    const text = await answer;
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    const sent = gw.drivers.get('a')?.requests.at(-1) as Json;
    expect(sent.messages[0].content).toBe('héllo '.repeat(2000));
  });

  it('413 for a declared body over gateway.maxBodyBytes, and the connection serves on', async () => {
    const gw = await start({ gateway: { maxBodyBytes: 10_000 } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    agent.on('free', (socket) => sockets.add(socket));
    try {
      const big = chatBody({ messages: [{ role: 'user', content: 'x'.repeat(20_000) }] });
      const answer = await post(gw.url, big, { agent });
      expect(answer.status).toBe(413);
      expect((JSON.parse(answer.text) as Json).error.code).toBe('body_too_large');
      const hono = await post(gw.url, big, { chunked: true });
      expect(hono.status).toBe(413);
      expect(JSON.parse(hono.text)).toEqual(JSON.parse(answer.text));
      // The refused body is read and dropped: the same connection serves the next request.
      expect((await post(gw.url, chatBody(), { agent })).status).toBe(200);
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('with API keys: 401 without a valid key, and a route is readable by the key that made it', async () => {
    const gw = await start(
      { gateway: { apiKeys: [KEY, OTHER_KEY], adminKeys: [ADMIN_KEY] } },
      { realRouter: true },
    );
    for (const [, chunked] of both) {
      const refused: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer sk-wrong' },
        { authorization: KEY },
      ];
      for (const headers of refused) {
        const answer = await post(gw.url, chatBody(), { chunked, headers });
        expect(answer.status).toBe(401);
        expect((JSON.parse(answer.text) as Json).error.code).toBe('invalid_api_key');
      }
    }
    const served = await post(gw.url, chatBody(), { headers: { authorization: `Bearer ${KEY}` } });
    expect(served.status).toBe(200);
    const routeId = served.headers['x-broke-route-id'] as string;
    expect(routeId).toMatch(/\S/);
    const explain = (key: string) =>
      fetch(`${gw.url}/v1/routes/${routeId}`, { headers: { authorization: `Bearer ${key}` } });
    expect((await explain(KEY)).status).toBe(200);
    expect((await explain(OTHER_KEY)).status).toBe(404);
    expect((await explain(ADMIN_KEY)).status).toBe(200);
    const byAdmin = await post(gw.url, chatBody(), { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(byAdmin.status).toBe(200);
  });

  it('streams with the route headers, and an error answer after routing still names the route', async () => {
    const gw = await start();
    const stream = await post(gw.url, chatBody({ stream: true }));
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['x-broke-node']).toBe('a');
    expect(sseData(stream.text).at(-1)).toBe('[DONE]');
    for (const d of gw.drivers.values()) d.mode = { kind: 'fail' };
    for (const [, chunked] of both) {
      const failed = await post(gw.url, chatBody(), { chunked });
      expect(failed.status).toBeGreaterThanOrEqual(500);
      expect(failed.headers['x-broke-route-id']).toMatch(/^r_/);
      expect((JSON.parse(failed.text) as Json).error.message).toMatch(/\S/);
    }
  });
});
