import { describe, expect, it } from 'vitest';
import { answersBookkept, createGatewayApp } from '../../src/index.js';
import { chatBody, must, readJson, setup, sseData } from './helpers.js';

const json = { 'content-type': 'application/json' };

/** A streamed answer asked with include_usage, its chunks parsed ([DONE] left out). */
async function streamWithUsage(gw: ReturnType<typeof app>['app']) {
  const res = await gw.request('/v1/chat/completions', {
    method: 'POST',
    headers: json,
    body: chatBody({ stream: true, stream_options: { include_usage: true } }),
  });
  return sseData(await res.text())
    .slice(0, -1)
    .map((d) => JSON.parse(d));
}

function app(overrides = {}) {
  const s = setup(overrides);
  return {
    ...s,
    app: createGatewayApp({ config: s.config, router: s.router, cluster: s.cluster, drivers: s.drivers }),
  };
}

describe('POST /v1/chat/completions (non-streaming)', () => {
  it('passes sampling, tools and format fields through and swaps in the served model name', async () => {
    const { app: gw, drivers } = app();
    const extra = {
      tools: [
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      stop: ['\nObservation:'],
      temperature: 0.3,
      seed: 7,
      top_k: 20,
      metadata: { role: 'writer' },
    };
    const res = await gw.request('/v1/chat/completions', {
      method: 'POST',
      headers: json,
      body: chatBody(extra),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-broke-node')).toBe('a');
    expect(res.headers.get('x-broke-model')).toBe('m1');
    expect(res.headers.get('x-broke-route-id')).toMatch(/^r_/);
    const sent = drivers.get('a')?.requests[0];
    const { metadata: _m, ...forwarded } = extra;
    expect(sent).toMatchObject({ ...forwarded, model: 'served-m1', max_tokens: 8, stream: false });
    expect(sent).not.toHaveProperty('metadata');
    const body = await readJson(res);
    expect(body.choices[0].message.content).toBe('hello');
    expect(body.model).toBe('m1');
  });

  it('records an outcome with tokens and latency', async () => {
    const { app: gw, router } = app();
    const res = await gw.request('/v1/chat/completions', { method: 'POST', headers: json, body: chatBody() });
    await readJson(res);
    // Outcomes and observers are told once the answer is out (serving/after-answer.ts).
    await answersBookkept();
    expect(router.outcomes[0]?.outcome).toMatchObject({ success: true, tokens: 1, promptTokens: 3 });
  });
});

describe('streaming', () => {
  it('streams SSE chunks and [DONE]; usage only when stream_options.include_usage', async () => {
    const { app: gw, drivers } = app();
    const res = await gw.request('/v1/chat/completions', {
      method: 'POST',
      headers: json,
      body: chatBody({ stream: true }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('hello');
    expect(chunks.every((c) => !c.usage)).toBe(true);
    // upstream is always asked for usage (the router learns from it)
    expect(drivers.get('a')?.requests[0]?.stream_options).toEqual({ include_usage: true });

    const chunks2 = await streamWithUsage(gw);
    expect(chunks2.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 2 } });
  });

  it('synthesises a usage chunk when the node ignores include_usage', async () => {
    const { app: gw, drivers } = app();
    must(drivers.get('a')).mode = { kind: 'ok', usage: false, chunks: ['x', 'y', 'z'] };
    const chunks = await streamWithUsage(gw);
    expect(chunks.at(-1)?.usage).toMatchObject({ completion_tokens: 3 });
  });

  it('counts tool-call chunks in the synthesised usage, like content chunks', async () => {
    const { app: gw, drivers } = app();
    must(drivers.get('a')).mode = { kind: 'ok', usage: false, chunks: ['{"q":', '"x"}'], toolCalls: true };
    const chunks = await streamWithUsage(gw);
    expect(chunks[0]?.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments).toBe('{"q":');
    expect(chunks.at(-1)?.usage).toMatchObject({ completion_tokens: 2 });
  });

  it('ends with an error event when the node fails after output started (no failover)', async () => {
    const { app: gw, drivers, router } = app();
    must(drivers.get('a')).mode = { kind: 'failMid', after: 2 };
    const res = await gw.request('/v1/chat/completions', {
      method: 'POST',
      headers: json,
      body: chatBody({ stream: true }),
    });
    expect(res.status).toBe(200);
    const data = sseData(await res.text());
    expect(data).not.toContain('[DONE]');
    const last = JSON.parse(data.at(-1) ?? '{}');
    expect(last.error.code).toBe('stream_interrupted');
    expect(last.error.message).toMatch(/after output had started/);
    expect(drivers.get('b')?.requests).toHaveLength(0);
    // Outcomes and observers are told once the answer is out (serving/after-answer.ts).
    await answersBookkept();
    expect(router.outcomes.at(-1)?.outcome.success).toBe(false);
  });
});

describe('failover', () => {
  it('retries the next candidate when a node fails before the first token, and explains it', async () => {
    const { app: gw, drivers, cluster } = app();
    must(drivers.get('a')).mode = { kind: 'fail' };
    for (const stream of [false, true]) {
      const res = await gw.request('/v1/chat/completions', {
        method: 'POST',
        headers: json,
        body: chatBody({ stream }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-broke-node')).toBe('b');
      await res.text();
      const routeId = res.headers.get('x-broke-route-id') as string;
      const explained = await await readJson(gw.request(`/v1/routes/${routeId}`));
      expect(explained.attempts).toEqual([
        expect.objectContaining({ nodeId: 'a', ok: false, error: expect.stringMatching(/unreachable/) }),
        expect.objectContaining({ nodeId: 'b', ok: true }),
      ]);
    }
    expect(cluster.node('a')?.cooldownUntil).toBeGreaterThan(Date.now());
    expect(cluster.node('a')?.inFlight).toBe(0);
    expect(cluster.node('b')?.inFlight).toBe(0);
  });

  it('is bounded by routing.maxAttempts and answers 502 when every node fails', async () => {
    const { app: gw, drivers } = app({ routing: { maxAttempts: 1 } });
    must(drivers.get('a')).mode = { kind: 'fail' };
    const res = await gw.request('/v1/chat/completions', { method: 'POST', headers: json, body: chatBody() });
    expect(res.status).toBe(502);
    expect((await readJson(res)).error).toMatchObject({ code: 'node_unreachable', type: 'upstream_error' });
    expect(drivers.get('b')?.requests).toHaveLength(0);
  });

  it('answers 504 when the node times out, after trying the others', async () => {
    const s = app({
      nodes: [{ id: 'a', url: 'http://127.0.0.1:9', models: [{ id: 'm1' }], requestTimeoutMs: 50 }],
    });
    must(s.drivers.get('a')).mode = { kind: 'hang' };
    const res = await s.app.request('/v1/chat/completions', {
      method: 'POST',
      headers: json,
      body: chatBody(),
    });
    expect(res.status).toBe(504);
    expect((await readJson(res)).error.code).toBe('node_timeout');
    expect(s.drivers.get('a')?.signals[0]?.aborted).toBe(true);
  });

  it('does not fail over when the node rejects the request as invalid (400)', async () => {
    const { app: gw, drivers } = app();
    must(drivers.get('a')).mode = {
      kind: 'fail',
      error: Object.assign(new Error('bad stop'), { status: 400 }),
    };
    const res = await gw.request('/v1/chat/completions', { method: 'POST', headers: json, body: chatBody() });
    expect(res.status).toBe(400);
    expect(drivers.get('b')?.requests).toHaveLength(0);
  });
});

describe('concurrency limits', () => {
  it('counts in-flight requests per node and answers 429 when every candidate is full', async () => {
    // No gateway queue: a full node sends the request on to the next candidate, then 429.
    const {
      app: gw,
      drivers,
      cluster,
    } = app({
      nodes: ['a', 'b'].map((id) => ({
        id,
        url: 'http://127.0.0.1:9',
        models: [{ id: 'm1' }],
        maxConcurrency: 2,
        queueLimit: 0,
      })),
    });
    for (const d of drivers.values()) d.mode = { kind: 'ok', firstDelayMs: 100 };
    const pending = Array.from({ length: 4 }, () =>
      gw.request('/v1/chat/completions', { method: 'POST', headers: json, body: chatBody() }),
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(cluster.node('a')?.inFlight).toBe(2);
    expect(cluster.node('b')?.inFlight).toBe(2);
    const extra = await gw.request('/v1/chat/completions', {
      method: 'POST',
      headers: json,
      body: chatBody(),
    });
    expect(extra.status).toBe(429);
    expect((await readJson(extra)).error.code).toBe('saturated');
    const done = await Promise.all(pending);
    expect(done.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(cluster.node('a')?.inFlight).toBe(0);
  });
});

describe('waiting for a busy node', () => {
  it('a request for a busy node waits in its queue, first come first served, and is answered', async () => {
    const { app: gw, drivers, cluster } = app();
    for (const d of drivers.values()) d.mode = { kind: 'ok', firstDelayMs: 80 };
    const first = Array.from({ length: 2 }, () =>
      gw.request('/v1/chat/completions', { method: 'POST', headers: json, body: chatBody() }),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(cluster.node('a')?.inFlight).toBe(2);
    // The router chose node a again (the stub always does): the request waits for a's slot
    // rather than running elsewhere, and the wait is visible to the next routing decision.
    const queued = gw.request('/v1/chat/completions', { method: 'POST', headers: json, body: chatBody() });
    await new Promise((r) => setTimeout(r, 20));
    expect(cluster.node('a')?.waiting).toBe(1);
    expect(cluster.node('b')?.inFlight).toBe(0);
    const res = await queued;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-broke-node')).toBe('a');
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    expect(cluster.node('a')).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('a client that leaves while waiting gives up its place and holds no slot', async () => {
    const { app: gw, drivers, cluster } = app();
    for (const d of drivers.values()) d.mode = { kind: 'ok', firstDelayMs: 80 };
    const busy = Array.from({ length: 2 }, () =>
      gw.request('/v1/chat/completions', { method: 'POST', headers: json, body: chatBody() }),
    );
    await new Promise((r) => setTimeout(r, 20));
    const leaving = new AbortController();
    const gone = Promise.resolve(
      gw.request('/v1/chat/completions', {
        method: 'POST',
        headers: json,
        body: chatBody(),
        signal: leaving.signal,
      }),
    ).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(cluster.node('a')?.waiting).toBe(1);
    leaving.abort();
    await gone;
    await new Promise((r) => setTimeout(r, 10));
    expect(cluster.node('a')?.waiting).toBe(0);
    await Promise.all(busy);
    expect(cluster.node('a')).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});

describe('agent context', () => {
  async function contextOf(gw: ReturnType<typeof app>['app'], headers: Record<string, string>, extra = {}) {
    const res = await gw.request('/v1/chat/completions', {
      method: 'POST',
      headers: { ...json, ...headers },
      body: chatBody(extra),
    });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-broke-route-id');
    return (await await readJson(gw.request(`/v1/routes/${id}`))).context;
  }

  it('reads headers and metadata; headers win', async () => {
    const { app: gw } = app();
    const ctx = await contextOf(
      gw,
      {
        'X-Broke-Role': 'researcher',
        'X-Broke-Team': 'blue',
        'X-Broke-Session': 's1',
        'X-Broke-Task-Type': 'code',
      },
      { metadata: { role: 'ignored', task_type: 'math', conversation_depth: 3, tags: ['x'] } },
    );
    expect(ctx).toEqual({
      role: 'researcher',
      team: 'blue',
      sessionId: 's1',
      taskType: 'code',
      conversationDepth: 3,
      tags: ['x'],
    });
  });

  it('uses config.defaultContext under everything else', async () => {
    const { app: gw } = app({ defaultContext: { team: 'default-team', role: 'generalist' } });
    expect(await contextOf(gw, { 'x-broke-role': 'critic' })).toEqual({
      team: 'default-team',
      role: 'critic',
    });
  });

  it('rejects an invalid task type header, naming it', async () => {
    const { app: gw } = app();
    const res = await gw.request('/v1/chat/completions', {
      method: 'POST',
      headers: { ...json, 'x-broke-task-type': 'juggling' },
      body: chatBody(),
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.param).toBe('x-broke-task-type');
  });
});

describe('models, feedback, routes, health', () => {
  it('lists virtual and concrete models with capability info', async () => {
    const { app: gw } = app();
    const body = await await readJson(gw.request('/v1/models'));
    const ids = body.data.map((m: { id: string }) => m.id);
    expect(ids).toEqual(['broke-auto', 'broke-quality', 'broke-balanced', 'broke-latency', 'm1']);
    const m1 = body.data.find((m: { id: string }) => m.id === 'm1');
    expect(m1.model_info).toMatchObject({
      function_calling: true,
      json_output: true,
      vision: false,
      family: 'llama',
    });
    expect((await gw.request('/v1/models/m1')).status).toBe(200);
    expect((await gw.request('/v1/models/nope')).status).toBe(404);
  });

  it('accepts feedback for a known route and 404s an unknown one', async () => {
    const { app: gw, router } = app();
    const res = await gw.request('/v1/chat/completions', { method: 'POST', headers: json, body: chatBody() });
    const id = res.headers.get('x-broke-route-id');
    const ok = await gw.request('/v1/feedback', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ route_id: id, score: 0.9 }),
    });
    expect(ok.status).toBe(200);
    expect(router.feedbacks[0]).toEqual({ routeId: id, feedback: { score: 0.9 } });
    const missing = await gw.request('/v1/feedback', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ route_id: 'nope', success: true }),
    });
    expect(missing.status).toBe(404);
    const bad = await gw.request('/v1/feedback', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ route_id: id, score: 3 }),
    });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).error.param).toBe('score');
    expect((await gw.request('/v1/routes/nope')).status).toBe(404);
  });

  it('reports health', async () => {
    const { app: gw } = app();
    const body = await await readJson(gw.request('/health'));
    expect(body.status).toBe('ok');
    expect(body.nodes).toHaveLength(2);
  });
});
