import { ClusterState, createGatewayApp, Router } from '@broke/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { StubDriver, testConfig } from '../../core/test/http/helpers.js';
import { type Captured, startCaptureServer } from '../../core/test/http/support/capture-server.js';
import { runPython } from '../../core/test/http/support/python.js';
import { bridge, createAutogenExtractor, parseSelectorCall } from '../src/index.js';

/**
 * The real SelectorGroupChat (examples/autogen/selector_team.py, AutoGen's default system
 * messages) against a recording endpoint that answers speaker selection with a valid name (the
 * first candidate: a random-weight model cannot). Checks what the bridge relies on: selection
 * calls are recognisable, each agent's client carries its X-Broke-Role, and two runs of the same
 * task send the same requests, which the extractor still tells apart.
 */
type Msg = { role: string; content: string; name?: string };
let captured: Captured[] = [];
let result: Awaited<ReturnType<typeof runPython>>;

const CANDIDATES = /select the next role from \[([^\]]*)\] to play/;

beforeAll(async () => {
  const server = await startCaptureServer((body) => {
    const first = (body.messages as Msg[])[0]?.content ?? '';
    const list = CANDIDATES.exec(first)?.[1];
    return list ? (list.split(',')[0] ?? '').replace(/['\s]/g, '') : 'Here is my contribution.';
  });
  try {
    result = await runPython('examples/autogen/selector_team.py', {
      BROKE_BASE_URL: `${server.url}/v1`,
      BROKE_TURNS: '3',
      BROKE_RUNS: '2',
    });
    captured = server.captured;
  } finally {
    await server.close();
  }
});

describe('SelectorGroupChat wire format (installed version)', () => {
  it('both runs finish, the model picks each speaker, and nothing is printed on stderr', () => {
    expect(result.code, result.stderr).toBe(0);
    const runs = (result.json as { runs: Array<{ sources: string[] }> }).runs;
    expect(runs.map((r) => r.sources)).toEqual([
      ['user', 'planner', 'coder', 'planner'],
      ['user', 'planner', 'coder', 'planner'],
    ]);
    expect(result.stderr).toBe('');
  });

  it('selection calls and agent calls alternate; only agent calls carry X-Broke-Role', () => {
    const kinds = captured.map((c) => (parseSelectorCall(c.body.messages as Msg[]) ? 'select' : 'agent'));
    expect(kinds).toEqual(Array(6).fill(['select', 'agent']).flat());
    const roles = captured.map((c) => c.headers['x-broke-role']);
    expect(roles.filter((_, i) => kinds[i] === 'agent')).toEqual([
      'planner',
      'coder',
      'planner',
      'planner',
      'coder',
      'planner',
    ]);
    expect(roles.filter((_, i) => kinds[i] === 'select')).toEqual(Array(6).fill(undefined));
    // Default system message: nothing on the wire names the calling agent but the header.
    const system = ((captured[1]?.body.messages ?? []) as Msg[])[0];
    expect(system?.content).toMatch(/^You are a helpful AI assistant\./);
  });

  it('the extractor makes each run one session (the same requests twice are two), depth grows', () => {
    expect(captured.slice(6).map((c) => c.body)).toEqual(captured.slice(0, 6).map((c) => c.body));
    const extract = createAutogenExtractor();
    const ctxs = captured.map((c) => extract(c.body as never, new Headers()));
    expect(ctxs.map((c) => c.role)).toEqual(Array(6).fill(['selector', undefined]).flat());
    // Selections are analysed from their instruction alone; an agent's call from the run's task
    // once another agent has spoken (the first turn's last message is the task itself).
    for (const [i, c] of ctxs.entries())
      if (i % 2 === 0)
        expect(c.taskText).toMatch(/^Select the next role from \[.+\] to play\. Only return the role\.$/);
    const task = ((captured[1]?.body.messages ?? []) as Msg[]).find((m) => m.role === 'user')?.content;
    expect(ctxs.filter((_, i) => i % 2 === 1).map((c) => c.taskText)).toEqual([
      undefined,
      task,
      task,
      undefined,
      task,
      task,
    ]);
    const sessions = ctxs.map((c) => c.sessionId);
    expect(new Set(sessions.slice(0, 6)).size).toBe(1);
    expect(new Set(sessions.slice(6)).size).toBe(1);
    expect(sessions[6]).not.toBe(sessions[0]);
    expect(ctxs.slice(0, 6).map((c) => c.conversationDepth)).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('replayed through a gateway with the bridge, GET /autogen/v1/routes lists each request under its role and run', async () => {
    const config = testConfig({ routing: { seed: 1, explorationRate: 0 } });
    const cluster = new ClusterState(config.nodes);
    const app = createGatewayApp({
      config,
      cluster,
      router: new Router({ config, cluster }),
      drivers: new Map(config.nodes.map((n) => [n.id, new StubDriver(n.id)])),
      bridges: [{ ...bridge, extractor: createAutogenExtractor() }],
    });
    for (const c of captured) {
      const role = c.headers['x-broke-role'];
      const res = await app.request('/autogen/v1/chat/completions', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(typeof role === 'string' ? { 'x-broke-role': role } : {}),
        },
        body: JSON.stringify(c.body),
      });
      expect(res.status).toBe(200);
      // AutoGen asked for broke-auto and is answered as broke-auto: no "Resolved model mismatch".
      expect(((await res.json()) as { model: string }).model).toBe('broke-auto');
    }
    const listed = (await (await app.request('/autogen/v1/routes?limit=20')).json()) as {
      data: Array<{ role: string; session: string; depth: number }>;
    };
    const routes = listed.data.reverse();
    expect(routes.map((r) => r.role)).toEqual(
      ['selector', 'planner', 'selector', 'coder', 'selector', 'planner'].concat([
        'selector',
        'planner',
        'selector',
        'coder',
        'selector',
        'planner',
      ]),
    );
    expect(new Set(routes.slice(0, 6).map((r) => r.session)).size).toBe(1);
    expect(new Set(routes.slice(6).map((r) => r.session)).size).toBe(1);
    expect(routes[6]?.session).not.toBe(routes[0]?.session);
    expect(routes.slice(0, 6).map((r) => r.depth)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});
