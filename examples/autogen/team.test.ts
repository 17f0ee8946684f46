import { bridge as autogenBridge } from '@broke/autogen-bridge';
import { bridge as crewaiBridge } from '@broke/crewai-bridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  explainOverHttp,
  type MlxCluster,
  startMlxCluster,
} from '../../packages/core/test/http/support/mlx-cluster.js';
import { runPython } from '../../packages/core/test/http/support/python.js';

/**
 * End to end: the real AutoGen round-robin team (examples/autogen/team.py) → the AutoGen bridge
 * mounted at /autogen in one gateway (the CrewAI bridge beside it, same router) → two real
 * mlx_lm.server nodes. One agent streams, the others do not.
 */
let c: MlxCluster;

beforeAll(async () => {
  c = await startMlxCluster({ nodes: 2, bridges: [crewaiBridge, autogenBridge] });
});
afterAll(async () => {
  await c?.stop();
});

describe('AutoGen team over real mlx_lm.server nodes', () => {
  it('finishes, with each agent routed under its own role and the group chat as one session', async () => {
    const result = await runPython('examples/autogen/team.py', {
      BROKE_BASE_URL: `${c.gateway.url}/autogen/v1`,
      BROKE_MAX_TOKENS: '8',
      BROKE_ROUNDS: '2',
    });
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.json).toMatchObject({
      ok: true,
      sources: ['user', 'planner', 'coder', 'critic', 'planner', 'coder', 'critic'],
    });

    const routes = c.decisions.filter((d) => d.context.framework === 'autogen');
    expect(routes).toHaveLength(6);
    const explained = await Promise.all(
      routes.map((d) => explainOverHttp(`${c.gateway.url}/autogen`, d.routeId)),
    );
    expect(explained.map((e) => e.context.role)).toEqual([
      'planner',
      'coder',
      'critic',
      'planner',
      'coder',
      'critic',
    ]);
    expect(explained.map((e) => e.context.conversationDepth)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(explained.map((e) => e.context.sessionId)).size).toBe(1);
    for (const e of explained) expect(e.attempts.at(-1)).toMatchObject({ ok: true });
  });

  it('SelectorGroupChat, default system messages, two runs: roles, one session per run, depth grows, and a rating by role moves only that role', async () => {
    const base = `${c.gateway.url}/autogen/v1`;
    const result = await runPython('examples/autogen/selector_team.py', {
      BROKE_BASE_URL: base,
      BROKE_MAX_TOKENS: '8',
      BROKE_TURNS: '3',
      BROKE_RUNS: '2',
      // Random-weight models cannot name a speaker: a fixed order instead (see the script).
      BROKE_TURN_ORDER: 'planner,coder,critic',
      BROKE_RATE: 'planner:1,coder:0,critic:1',
    });
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    // No AutoGen warning: no "Resolved model mismatch", nothing else either.
    expect(result.stderr).toBe('');
    const runs = (result.json as { runs: Array<{ sources: string[]; rated: string[] }> }).runs;
    for (const run of runs) expect(run.sources).toEqual(['user', 'planner', 'coder', 'critic']);

    type Listed = {
      id: string;
      role: string;
      session: string;
      depth: number;
      model: string;
      framework: string;
    };
    const listing = (await (await fetch(`${base}/routes?limit=200`)).json()) as { data: Listed[] };
    const routes = listing.data.filter((r) => r.framework === 'autogen' && r.role !== null).reverse();
    const last6 = routes.slice(-6);
    expect(last6.map((r) => r.role)).toEqual(['planner', 'coder', 'critic', 'planner', 'coder', 'critic']);
    const [r1, r2] = [last6.slice(0, 3), last6.slice(3)];
    for (const run of [r1, r2]) {
      expect(new Set(run.map((r) => r.session)).size).toBe(1);
      expect(run.map((r) => r.depth)).toEqual([0, 1, 2]);
    }
    expect(r2[0]?.session).not.toBe(r1[0]?.session);
    // Rated by role after each run, no ids handled: each run's turns, and nothing else.
    expect(runs[0]?.rated.sort()).toEqual(r1.map((r) => r.id).sort());
    // The coder, rated 0, moved to the other model. The planner and the critic, rated 1, keep a
    // better estimate of the model they used than the coder does: ratings count per role. (Where
    // they go next is also the objective's call on speed, and these two models are equal in size.)
    expect(r2[1]?.model).not.toBe(r1[1]?.model);
    const learned = async (route: Listed | undefined, model: string | undefined) => {
      const e = await explainOverHttp(`${c.gateway.url}/autogen`, route?.id as string);
      const term = e.ranked.find((x) => x.modelId === model)?.terms['learned-quality']?.value;
      expect(term, `${route?.role}: ${e.summary}`).toBeTypeOf('number');
      return term as number;
    };
    const coderView = await learned(r2[1], r1[1]?.model);
    expect(await learned(r2[0], r1[0]?.model)).toBeGreaterThan(coderView);
    expect(await learned(r2[2], r1[2]?.model)).toBeGreaterThan(coderView);
    // The answers named the model AutoGen asked for; the one that served is in the route.
    const res = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'broke-auto',
        max_tokens: 2,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const body = (await res.json()) as { id: string; model: string };
    expect(body.model).toBe('broke-auto');
    expect(body.id).toBe(res.headers.get('x-broke-route-id'));
    expect(res.headers.get('x-broke-model')).toMatch(/^tiny-/);
  });

  it('advertises model_info for AutoGen on /autogen/v1/models', async () => {
    const body = (await (await fetch(`${c.gateway.url}/autogen/v1/models`)).json()) as {
      data: Array<{ id: string; model_info: Record<string, unknown> }>;
    };
    expect(body.data.map((m) => m.id)).toEqual(expect.arrayContaining(['broke-auto', 'tiny-a', 'tiny-b']));
    expect(body.data[0]?.model_info).toEqual({
      vision: false,
      function_calling: false,
      json_output: false,
      structured_output: false,
      family: 'unknown',
      multiple_system_messages: true,
    });
  });

  it('feedback posted for coder routes changes later routing for the coder', async () => {
    const base = `${c.gateway.url}/autogen/v1`;
    // A new task each time: the same task would be one group chat, pinned by session affinity.
    let n = 0;
    const ask = async () => {
      n += 1;
      const res = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'broke-auto',
          max_tokens: 4,
          messages: [
            { role: 'system', content: 'You are the coder. Write the code.' },
            { role: 'user', name: 'user', content: `Reverse string number ${n}.` },
          ],
        }),
      });
      expect(res.status).toBe(200);
      await res.json();
      return {
        routeId: res.headers.get('x-broke-route-id') as string,
        model: res.headers.get('x-broke-model') as string,
      };
    };
    const postFeedback = async (routeId: string, thumbs: 'up' | 'down') => {
      const res = await fetch(`${base}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ route_id: routeId, thumbs }),
      });
      expect(res.status).toBe(200);
    };
    const first = await ask();
    const bad = first.model;
    // The team's successful turns are weak implicit evidence that this model is fine for the
    // coder; judged feedback supersedes it: thumbs down for every coder route it served, thumbs
    // up for the alternative whenever that was chosen. The router is seeded with no
    // exploration, so the outcome is deterministic.
    await postFeedback(first.routeId, 'down');
    for (let i = 0; i < 8; i++) {
      const r = await ask();
      await postFeedback(r.routeId, r.model === bad ? 'down' : 'up');
    }
    const after = await ask();
    // Issue 5's acceptance: feedback posted for a route changes later routing.
    expect(after.model).not.toBe(bad);
    // And the explanation, read back over HTTP, says why: the thumbs-down model's learned quality
    // for the coder (its predicted quality) fell below what it was, and below the alternative's.
    const quality = async (routeId: string, model: string) =>
      (await explainOverHttp(`${c.gateway.url}/autogen`, routeId)).ranked.find((r) => r.modelId === model)
        ?.quality ?? Number.NaN;
    expect(await quality(after.routeId, bad)).toBeLessThan(await quality(first.routeId, bad));
    expect(await quality(after.routeId, bad)).toBeLessThan(await quality(after.routeId, after.model));
  });
});
