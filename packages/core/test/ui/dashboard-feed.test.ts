import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../testbed/index.js';
import { DashboardHub } from '../../src/http/dashboard/hub.js';
import { SseClient } from '../../src/http/dashboard/sse-client.js';
import {
  type BrokeConfig,
  BrokeConfigSchema,
  ClusterState,
  Router,
  type RunningGateway,
  startGateway,
} from '../../src/index.js';

/**
 * The dashboard's server side over HTTP, without a browser: the page is served without a key
 * (it holds no data) with a strict CSP, the event stream needs one, each key sees only its own
 * routes and feedback, connections are capped, and a client that stops reading is dropped.
 * Routes are made through the gateway against a node where nothing listens (a real refused
 * connection: the route, its failed attempts and its owner are all real).
 */

const KEY_A = 'key-a-0123456789';
const KEY_B = 'key-b-0123456789';
const ADMIN = 'admin-0123456789';

let gateway: RunningGateway;
let config: BrokeConfig;
let router: Router;
let cluster: ClusterState;

/** The fields of the events these tests look at (each event has some of them). */
interface EventData {
  rows: Array<{ id: string; status: string }>;
  quality: Array<{ role: string }>;
  nodes: Array<Record<string, unknown>>;
  events: Array<{ routeId: string }>;
}

interface Feed {
  events: Array<{ event: string; data: EventData }>;
  /** Resolves with the first event (from index `from`) that matches; rejects after `ms`. */
  next(match: (event: string, data: EventData) => boolean, from?: number, ms?: number): Promise<number>;
  close(): Promise<void>;
}

/** GET /v1/dashboard/events as a browser's fetch reads it. */
async function openFeed(key: string | undefined): Promise<Feed & { status: number; res: Response }> {
  const res = await fetch(`${gateway.url}/v1/dashboard/events`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  const events: Feed['events'] = [];
  let buffer = '';
  const waiters = new Set<() => void>();
  const reader = res.ok ? res.body?.pipeThrough(new TextDecoderStream()).getReader() : undefined;
  const pump = (async () => {
    if (!reader) return;
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) return;
      buffer += chunk.value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
      for (const w of waiters) w();
    }
  })();
  return {
    status: res.status,
    res,
    events,
    next(match, from = 0, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = events.findIndex((e, j) => j >= from && match(e.event, e.data));
          if (i < 0) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(i);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event in ${ms} ms; got ${events.map((e) => e.event).join(', ')}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await reader?.cancel().catch(() => undefined);
      await pump;
    },
  };
}

/** A chat request as an agent sends it; the node refuses connections, so the answer is a 502. */
async function ask(key: string, role: string): Promise<string> {
  const res = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-broke-role': role },
    body: JSON.stringify({
      model: 'broke-auto',
      messages: [{ role: 'user', content: `hello from ${role}` }],
    }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(502);
  return res.headers.get('x-broke-route-id') as string;
}

/**
 * A feed once a place is free: the server notices a dashboard that left (an earlier test's, or
 * one just closed) when its socket closes, a moment after the client let go.
 */
async function openWhenFree(key: string): Promise<Awaited<ReturnType<typeof openFeed>>> {
  for (let i = 0; ; i++) {
    const feed = await openFeed(key);
    if (feed.status !== 429 || i === 50) return feed;
    await feed.res.text();
    await new Promise((r) => setTimeout(r, 100));
  }
}

const rowsOf = (feed: Feed) =>
  feed.events
    .filter((e) => e.event === 'routes')
    .flatMap((e) => (e.data as { rows: Array<{ id: string }> }).rows);

beforeAll(async () => {
  // Two, because a node that failed cools down for a few seconds and the test asks twice.
  const ports = [await freePort(), await freePort()];
  config = BrokeConfigSchema.parse({
    nodes: ports.map((port, i) => ({
      id: `gone-${i}`,
      url: `http://127.0.0.1:${port}`,
      kind: 'openai',
      models: [{ id: 'm' }],
    })),
    models: [{ id: 'm', tier: 'small', contextLength: 4096 }],
    routing: { explorationRate: 0, seed: 3, maxAttempts: 1 },
    gateway: { apiKeys: [KEY_A, KEY_B], adminKeys: [ADMIN] },
    store: { kind: 'memory' },
  });
  cluster = new ClusterState(config.nodes);
  router = new Router({ config, cluster });
  gateway = await startGateway({
    config,
    router,
    cluster,
    port: 0,
    bridges: [],
    dashboard: { tickMs: 50, learningEveryMs: 300, maxClients: 4 },
  });
});

afterAll(async () => {
  await gateway?.close();
});

describe('the dashboard page', () => {
  it('is served without a key, with a CSP that allows only its own scripts and this gateway', async () => {
    for (const path of ['/ui', '/ui/']) {
      const res = await fetch(`${gateway.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(await res.text()).toContain('<script type="module" src="/ui/app.js">');
    }
    const js = await fetch(`${gateway.url}/ui/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = js.headers.get('etag') as string;
    expect((await fetch(`${gateway.url}/ui/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
  });

  it('serves only its own files: unknown names and paths out of the folder are 404, data still needs a key', async () => {
    for (const path of [
      '/ui/nope.js',
      '/ui/..%2Fpackage.json',
      '/ui/.hidden.js',
      '/ui/a/b.js',
      '/ui/app.js.map',
    ]) {
      const res = await fetch(`${gateway.url}${path}`);
      expect(res.status, path).toBe(404);
      await res.text();
    }
    // Dot segments are resolved before routing: what they reach is the API, behind its key.
    for (const path of ['/ui/%2e%2e', '/ui/../v1/routes', '/ui/%2e%2e/v1/routes']) {
      const res = await fetch(`${gateway.url}${path}`);
      expect([401, 404], path).toContain(res.status);
      await res.text();
    }
    const feed = await openFeed(undefined);
    expect(feed.status).toBe(401);
    expect(((await feed.res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    expect((await openFeed('wrong-key-0123456')).status).toBe(401);
  });
});

describe('the event stream', () => {
  it('starts with hello, the cluster (the numbers GET /v1/status reports), routes and history', async () => {
    const feed = await openFeed(ADMIN);
    try {
      expect(feed.status).toBe(200);
      expect(feed.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      await feed.next((e) => e === 'history');
      expect(feed.events.slice(0, 4).map((e) => e.event)).toEqual(['hello', 'cluster', 'routes', 'history']);
      expect(feed.events[0]?.data).toMatchObject({ view: 'all', temperature: { good: 0.6, poor: 0.4 } });
      const status = (await (
        await fetch(`${gateway.url}/v1/status`, { headers: { authorization: `Bearer ${ADMIN}` } })
      ).json()) as { nodes: Array<Record<string, unknown>> };
      const nodes = (feed.events[1] as Feed['events'][number]).data.nodes;
      const { lastSeen: _a, ...fromFeed } = nodes[0] as Record<string, unknown>;
      const { lastSeen: _b, ...fromStatus } = status.nodes[0] as Record<string, unknown>;
      expect(fromFeed).toEqual({ ...fromStatus, kind: 'openai' });
    } finally {
      await feed.close();
    }
  });

  it('each key sees its own routes and feedback; an admin key sees everyone and every role', async () => {
    const a = await openFeed(KEY_A);
    const b = await openFeed(KEY_B);
    const admin = await openFeed(ADMIN);
    try {
      for (const f of [a, b, admin]) await f.next((e) => e === 'history');
      const routeA = await ask(KEY_A, 'Writer');
      const routeB = await ask(KEY_B, 'Critic');
      await admin.next((e, d) => e === 'routes' && d.rows.some((r) => r.id === routeB));
      await a.next((e, d) => e === 'routes' && d.rows.some((r) => r.id === routeA));
      await b.next((e, d) => e === 'routes' && d.rows.some((r) => r.id === routeB));
      // The row tells what happened: the refused connection is a failed attempt and an error.
      await a.next((e, d) => e === 'routes' && d.rows.some((r) => r.id === routeA && r.status === 'error'));

      const rated = await fetch(`${gateway.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_A}` },
        body: JSON.stringify({ route_id: routeA, score: 0.25 }),
      });
      expect(rated.status).toBe(200);
      const got = await a.next((e) => e === 'feedback');
      expect(a.events[got]?.data).toMatchObject({
        events: [
          {
            routeId: routeA,
            role: 'Writer',
            model: 'm',
            node: expect.stringMatching(/^gone-/),
            score: 0.25,
            count: 1,
          },
        ],
      });
      // Feedback is followed by a learning snapshot within a tick or two; B saw neither A's
      // route nor its feedback up to then, nor anything of the roles: per model only.
      const bLearning = await b.next((e) => e === 'learning', b.events.length);
      const adminLearning = await admin.next(
        (e, d) => e === 'learning' && d.quality.some((q) => q.role === 'writer'),
      );
      expect(rowsOf(b).map((r) => r.id)).not.toContain(routeA);
      expect(rowsOf(a).map((r) => r.id)).not.toContain(routeB);
      expect(b.events.slice(0, bLearning).some((e) => e.event === 'feedback')).toBe(false);
      const roles = (f: Feed, i: number) =>
        new Set((f.events[i] as Feed['events'][number]).data.quality.map((q) => q.role));
      expect(roles(b, bLearning)).toEqual(new Set(['*']));
      expect(roles(admin, adminLearning)).toEqual(new Set(['*', 'writer', 'critic']));
      expect(rowsOf(admin).map((r) => r.id)).toEqual(expect.arrayContaining([routeA, routeB]));

      // A dashboard that connects later gets the newest routes and judgements it may see.
      const late = await openFeed(KEY_A);
      try {
        await late.next((e) => e === 'history');
        expect(rowsOf(late).map((r) => r.id)).toEqual([routeA]);
        const fb = late.events.find((e) => e.event === 'feedback')?.data as {
          events: Array<{ routeId: string }>;
        };
        expect(fb.events.map((e) => e.routeId)).toEqual([routeA]);
      } finally {
        await late.close();
      }
    } finally {
      await Promise.all([a.close(), b.close(), admin.close()]);
    }
  });

  it('serves at most maxClients dashboards at once (429 dashboard_busy), and frees a place when one leaves', async () => {
    const feeds: Array<Awaited<ReturnType<typeof openFeed>>> = [];
    try {
      for (let i = 0; i < 4; i++) feeds.push(await openWhenFree(ADMIN));
      expect(feeds.map((f) => f.status)).toEqual([200, 200, 200, 200]);
      const refused = await openFeed(ADMIN);
      expect(refused.status).toBe(429);
      expect(((await refused.res.json()) as { error: { code: string } }).error.code).toBe('dashboard_busy');
      await feeds.pop()?.close();
      const again = await openWhenFree(ADMIN);
      expect(again.status).toBe(200);
      feeds.push(again);
    } finally {
      await Promise.all(feeds.map((f) => f.close()));
    }
  });
});

describe('a dashboard that stops reading', () => {
  it('is dropped once it falls a buffer behind; the others are not held up', async () => {
    let closed = 0;
    const client = new SseClient({ owner: undefined }, 1024, () => closed++);
    const event = { rows: 'x'.repeat(100) };
    const bytes = Buffer.byteLength(`event: routes\ndata: ${JSON.stringify(event)}\n\n`);
    let sent = 0;
    while (client.send('routes', event)) sent++;
    // Exactly as many as fit in the buffer were queued; the one that overflowed it dropped the client.
    expect(sent).toBe(Math.floor(1024 / bytes));
    expect(client.dropped).toBe(true);
    expect(client.open).toBe(false);
    expect(closed).toBe(1);
    expect(client.send('routes', {})).toBe(false);
    // Its stream ends in an error rather than waiting forever for a reader that never comes.
    await expect(client.response.text()).rejects.toThrow();
  });

  it('over HTTP: a browser that stalls is cut off and gives its place back', async () => {
    const stalledCluster = new ClusterState(config.nodes);
    const stalledRouter = new Router({ config, cluster: stalledCluster });
    const gw = await startGateway({
      config,
      router: stalledRouter,
      cluster: stalledCluster,
      port: 0,
      bridges: [],
      dashboard: { maxClients: 1, clientBufferBytes: 64 * 1024, tickMs: 20 },
    });
    const probe = async () => {
      const res = await fetch(`${gw.url}/v1/dashboard/events`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      await res.body?.cancel();
      return res.status;
    };
    // A client that sends its request and never reads a byte of the answer.
    const socket = connect(gw.port, '127.0.0.1');
    socket.pause();
    socket.write(`GET /v1/dashboard/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN}\r\n\r\n`);
    try {
      let status = await probe();
      for (let i = 0; i < 50 && status !== 429; i++) status = await probe();
      expect(status).toBe(429); // the stalled client holds the only place
      // Routes stream to it until the socket's buffers and then its 64 KiB are full.
      for (let round = 0; round < 400 && status === 429; round++) {
        for (let i = 0; i < 200; i++)
          stalledRouter.route({ messages: [{ role: 'user', content: `q${round}-${i}` }] }, { role: 'stall' });
        await new Promise((r) => setTimeout(r, 25));
        status = await probe();
      }
      expect(status).toBe(200);
    } finally {
      socket.destroy();
      await gw.close();
    }
  });

  it('leaves the hub, which stops looking at the cluster when nobody watches', async () => {
    const hub = new DashboardHub({ config, router, cluster }, { clientBufferBytes: 256, tickMs: 20 });
    // The first events (hello, cluster, routes, history) are more than 256 bytes: never read, dropped.
    const res = hub.connect({ owner: undefined });
    expect(hub.clientCount).toBe(0);
    await expect(res.text()).rejects.toThrow();
    const reading = new DashboardHub({ config, router, cluster }, { tickMs: 20 });
    const stream = reading.connect({ owner: undefined }).body?.getReader();
    expect(reading.clientCount).toBe(1);
    await stream?.read();
    await stream?.cancel();
    expect(reading.clientCount).toBe(0);
  });
});
