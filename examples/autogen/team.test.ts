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
