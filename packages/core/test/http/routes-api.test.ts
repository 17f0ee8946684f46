import { describe, expect, it } from 'vitest';
import {
  answersBookkept,
  ClusterState,
  createGatewayApp,
  type RequestLogLine,
  Router,
} from '../../src/index.js';
import { chatBody, readJson, StubDriver, sseData, testConfig } from './helpers.js';

const json = { 'content-type': 'application/json' };

/** The real Router over scripted drivers: the listing and feedback are the router's own. */
function gateway() {
  const config = testConfig({ routing: { seed: 3, explorationRate: 0 } });
  const cluster = new ClusterState(config.nodes);
  const router = new Router({ config, cluster });
  const drivers = new Map(config.nodes.map((n) => [n.id, new StubDriver(n.id)]));
  const lines: RequestLogLine[] = [];
  const app = createGatewayApp({ config, router, cluster, drivers, requestLog: (l) => lines.push(l) });
  const chat = async (role: string, session: string, extra: Record<string, unknown> = {}) => {
    const res = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { ...json, 'x-broke-role': role, 'x-broke-session': session },
      body: chatBody(extra),
    });
    expect(res.status).toBe(200);
    const routeId = res.headers.get('x-broke-route-id') as string;
    if (extra.stream) {
      const ids = sseData(await res.text())
        .filter((d) => d !== '[DONE]')
        .map((d) => JSON.parse(d).id);
      return { routeId, ids };
    }
    return { routeId, ids: [(await readJson(res)).id as string] };
  };
  const feedback = (body: Record<string, unknown>) =>
    app.request('/v1/feedback', { method: 'POST', headers: json, body: JSON.stringify(body) });
  const list = async (query = '') => {
    const res = await app.request(`/v1/routes${query}`);
    return { status: res.status, body: await readJson(res) };
  };
  return { app, router, lines, chat, feedback, list };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('completion ids are route ids', () => {
  it('the JSON id and every streamed chunk id are the route id', async () => {
    const g = gateway();
    const plain = await g.chat('writer', 's1');
    expect(plain.ids).toEqual([plain.routeId]);
    const streamed = await g.chat('writer', 's1', { stream: true, stream_options: { include_usage: true } });
    expect(streamed.ids.length).toBeGreaterThan(1);
    expect(new Set(streamed.ids)).toEqual(new Set([streamed.routeId]));
  });
});

describe('GET /v1/routes', () => {
  it('lists newest first with role, session, node, model, outcome and a link to the explanation', async () => {
    const g = gateway();
    const a = await g.chat('Planner', 's1');
    const b = await g.chat('coder', 's1');
    const c = await g.chat('coder', 's2');
    await settle();
    const { status, body } = await g.list();
    expect(status).toBe(200);
    expect(body.object).toBe('list');
    expect(body.data.map((r: { id: string }) => r.id)).toEqual([c.routeId, b.routeId, a.routeId]);
    expect(body.data[2]).toMatchObject({
      id: a.routeId,
      role: 'Planner',
      session: 's1',
      node: 'a',
      model: 'm1',
      status: 'ok',
      tokens: 1,
      task_type: expect.any(String),
      feedback: { count: 0, mean_score: null },
      explanation: `/v1/routes/${a.routeId}`,
    });
    expect(body.data[2].latency_ms).toEqual(expect.any(Number));
    const explained = await g.app.request(body.data[2].explanation);
    expect((await readJson(explained)).routeId).toBe(a.routeId);
  });

  it('filters by session, role (any case), model, node and time, and pages with a cursor', async () => {
    const g = gateway();
    const routes = [];
    for (let i = 0; i < 5; i++) routes.push((await g.chat(i % 2 ? 'coder' : 'critic', 'sx')).routeId);
    await g.chat('coder', 'other');
    expect((await g.list('?session=sx&role=CODER')).body.data.map((r: { id: string }) => r.id)).toEqual([
      routes[3],
      routes[1],
    ]);
    // By node: exactly the routes each node served (which node serves is the router's choice).
    const all = (await g.list('?session=sx')).body.data as Array<{ id: string; node: string }>;
    for (const node of ['a', 'b'])
      expect((await g.list(`?session=sx&node=${node}`)).body.data.map((r: { id: string }) => r.id)).toEqual(
        all.filter((r) => r.node === node).map((r) => r.id),
      );
    expect((await g.list('?node=nowhere')).body.data).toEqual([]);
    expect((await g.list('?model=m1&session=sx')).body.data).toHaveLength(5);
    expect((await g.list(`?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.data).toEqual([]);
    expect((await g.list(`?until=${Math.floor(Date.now() / 1000) - 60}`)).body.data).toEqual([]);

    const seen: string[] = [];
    let page = await g.list('?session=sx&limit=2');
    for (;;) {
      seen.push(...page.body.data.map((r: { id: string }) => r.id));
      if (!page.body.has_more) break;
      expect(page.body.data).toHaveLength(2);
      page = await g.list(`?session=sx&limit=2&cursor=${page.body.next_cursor}`);
    }
    expect(seen).toEqual([...routes].reverse());
    expect(page.body.next_cursor).toBeNull();
  });

  it('refuses a bad cursor, limit, time or unknown parameter with an OpenAI-shaped 400', async () => {
    const g = gateway();
    for (const q of ['?cursor=nope', '?limit=0', '?limit=abc', '?since=yesterday', '?rol=coder']) {
      const { status, body } = await g.list(q);
      expect(status, q).toBe(400);
      expect(body.error, q).toMatchObject({ type: 'invalid_request_error', message: expect.any(String) });
    }
    expect((await g.list('?cursor=nope')).body.error.message).toMatch(/cursor/);
  });
});

describe('POST /v1/feedback by selection', () => {
  it('rates the last n routes of a role in a session and says which ids it applied to', async () => {
    const g = gateway();
    const p1 = await g.chat('planner', 'run-1');
    const c1 = await g.chat('coder', 'run-1');
    const c2 = await g.chat('coder', 'run-1');
    await g.chat('coder', 'run-2');
    const res = await g.feedback({ session: 'run-1', role: 'Coder', last: 5, score: 0.9 });
    expect(res.status).toBe(200);
    expect((await readJson(res)).route_ids).toEqual([c2.routeId, c1.routeId]);
    const listed = (await g.list('?session=run-1')).body.data;
    expect(listed.map((r: { feedback: unknown }) => r.feedback)).toEqual([
      { count: 1, mean_score: 0.9 },
      { count: 1, mean_score: 0.9 },
      { count: 0, mean_score: null },
    ]);
    // Nested form, default last = 1, no role: the session's newest route.
    const nested = await g.feedback({ selection: { session: 'run-1' }, thumbs: 'down' });
    expect((await readJson(nested)).route_ids).toEqual([c2.routeId]);
    expect(p1.routeId).not.toBe(c2.routeId);
    // Without a session: the role's newest routes in any session.
    const anySession = await g.feedback({ role: 'coder', last: 2, score: 0.5 });
    expect((await readJson(anySession)).route_ids).toHaveLength(2);
  });

  it('applies a feedback id once: a repeat is a 409 that names the routes, and learns nothing', async () => {
    const g = gateway();
    const r = await g.chat('coder', 'run-1');
    const first = await g.feedback({ route_id: r.routeId, score: 0.2, id: 'fb-1' });
    expect(first.status).toBe(200);
    const before = g.router.stats();
    const again = await g.feedback({ route_id: r.routeId, score: 0.2, id: 'fb-1' });
    expect(again.status).toBe(409);
    const err = (await readJson(again)).error;
    expect(err).toMatchObject({ code: 'duplicate_feedback' });
    expect(err.message).toContain(r.routeId);
    expect(g.router.stats()).toEqual(before);
    expect((await g.list()).body.data[0].feedback.count).toBe(1);
  });

  it('answers bad selections and scores with a clear 4xx in OpenAI error shape', async () => {
    const g = gateway();
    await g.chat('coder', 'run-1');
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ session: 'nope', score: 1 }, 404, /session "nope"/],
      [{ role: 'reviewer', score: 1 }, 404, /role "reviewer"/],
      [{ last: 2, score: 1 }, 400, /session/],
      [{ session: 'run-1', role: 'reviewer', score: 1 }, 404, /role "reviewer"/],
      [{ session: 'run-1', score: 1.5 }, 400, /score/],
      [{ session: 'run-1', last: 0, score: 1 }, 400, /last/],
      [{ route_id: 'r-x', session: 'run-1', score: 1 }, 400, /exactly one/],
      [{ session: 'run-1' }, 400, /score/],
      [{ route_id: 'r-unknown', score: 1 }, 404, /r-unknown/],
    ];
    for (const [body, status, message] of cases) {
      const res = await g.feedback(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      const err = (await readJson(res)).error;
      expect(err.message, JSON.stringify(body)).toMatch(message);
      expect(err.type).toEqual(expect.any(String));
    }
    // Nothing was rated by the refused requests.
    expect((await g.list()).body.data[0].feedback.count).toBe(0);
  });
});

describe('request log', () => {
  it('writes one line per request: route, role, session, node, model, status, ms', async () => {
    const g = gateway();
    const r = await g.chat('coder', 'run-1');
    await g.chat('coder', 'run-1', { stream: true });
    await g.app.request('/v1/chat/completions', { method: 'POST', headers: json, body: '{"model":"nope"}' });
    // Outcomes and observers are told once the answer is out (serving/after-answer.ts).
    await answersBookkept();
    expect(g.lines).toHaveLength(3);
    expect(g.lines[0]).toMatchObject({
      route_id: r.routeId,
      role: 'coder',
      session: 'run-1',
      node: 'a',
      model: 'm1',
      status: 200,
      outcome: 'ok',
      stream: false,
      ms: expect.any(Number),
    });
    expect(g.lines[1]).toMatchObject({ stream: true, outcome: 'ok', status: 200 });
    expect(g.lines[2]).toMatchObject({ route_id: null, status: 400, outcome: 'error' });
  });
});

describe('routes belong to the key that made them (keys configured)', () => {
  const keys = { a: 'key-aaaa-1111', b: 'key-bbbb-2222', admin: 'key-admin-9999' };
  function keyed() {
    const config = testConfig({
      routing: { seed: 3, explorationRate: 0 },
      gateway: { apiKeys: [keys.a, keys.b], adminKeys: [keys.admin] },
    });
    const cluster = new ClusterState(config.nodes);
    const router = new Router({ config, cluster });
    const drivers = new Map(config.nodes.map((n) => [n.id, new StubDriver(n.id)]));
    const app = createGatewayApp({ config, router, cluster, drivers });
    const as = (key: string) => ({ ...json, authorization: `Bearer ${key}` });
    return { app, router, as };
  }

  it('another key cannot read, list or rate a route; its own key can', async () => {
    const { app, as } = keyed();
    const res = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { ...as(keys.a), 'x-broke-role': 'coder', 'x-broke-session': 's-a' },
      body: chatBody(),
    });
    const id = (await readJson(res)).id as string;
    expect((await app.request(`/v1/routes/${id}`, { headers: as(keys.a) })).status).toBe(200);
    expect((await app.request(`/v1/routes/${id}`, { headers: as(keys.b) })).status).toBe(404);
    expect((await readJson(await app.request('/v1/routes', { headers: as(keys.b) }))).data).toEqual([]);
    expect((await readJson(await app.request('/v1/routes', { headers: as(keys.a) }))).data).toHaveLength(1);
    // An admin key sees every caller's routes.
    expect((await app.request(`/v1/routes/${id}`, { headers: as(keys.admin) })).status).toBe(200);
    expect((await readJson(await app.request('/v1/routes', { headers: as(keys.admin) }))).data).toHaveLength(
      1,
    );
    expect((await app.request('/v1/routes', { headers: as('key-wrong-0000') })).status).toBe(401);
    const rate = (key: string, body: object) =>
      app.request('/v1/feedback', { method: 'POST', headers: as(key), body: JSON.stringify(body) });
    expect((await rate(keys.b, { route_id: id, score: 0 })).status).toBe(404);
    expect((await rate(keys.b, { session: 's-a', score: 0 })).status).toBe(404);
    expect((await rate(keys.a, { session: 's-a', score: 1 })).status).toBe(200);
    // Feedback ids are per caller: b's "fb-1" does not collide with a's.
    expect((await rate(keys.a, { route_id: id, score: 1, id: 'fb-1' })).status).toBe(200);
    expect((await rate(keys.a, { route_id: id, score: 1, id: 'fb-1' })).status).toBe(409);
  });

  it('route ids are unguessable: 96 random bits, no counter', () => {
    const { router } = keyed();
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++)
      ids.add(router.route({ messages: [{ role: 'user', content: 'hi' }] }).routeId);
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^r-[A-Za-z0-9_-]{16}$/);
  });
});

describe('feedback cannot be stuffed', () => {
  it('rating one route 200 times weighs as one judgement (the latest)', async () => {
    const g = gateway();
    const r = await g.chat('coder', 'run-1');
    await settle();
    const evidence = () =>
      g.router
        .stats()
        .filter((s) => s.modelId === 'm1' && s.team === '*' && s.role === '*' && s.taskType === '*')
        .reduce((sum, s) => sum + s.alpha + s.beta, 0);
    const before = evidence();
    for (let i = 0; i < 200; i++)
      expect((await g.feedback({ route_id: r.routeId, score: 0 })).status).toBe(200);
    expect(evidence()).toBeLessThan(before + 1.01);
    // The latest judgement is the one that counts.
    await g.feedback({ route_id: r.routeId, score: 1 });
    const top = g.router
      .stats()
      .find((s) => s.modelId === 'm1' && s.team === '*' && s.role === '*' && s.taskType === '*');
    expect((top?.alpha ?? 0) / ((top?.alpha ?? 0) + (top?.beta ?? 1))).toBeGreaterThan(0.5);
  });
});
