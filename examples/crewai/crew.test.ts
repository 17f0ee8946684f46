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
 * End to end: the real CrewAI crew (examples/crewai/crew.py) → the CrewAI bridge mounted at
 * /crewai in one gateway (with the AutoGen bridge beside it) → the real Router → two real
 * mlx_lm.server nodes.
 */
let c: MlxCluster;

beforeAll(async () => {
  c = await startMlxCluster({ nodes: 2, bridges: [crewaiBridge, autogenBridge] });
});
afterAll(async () => {
  await c?.stop();
});

describe('CrewAI crew over real mlx_lm.server nodes', () => {
  it('two kickoffs: every request listed with its role, one session per kickoff, depth grows, and the reviewer rating by role moves only the reviewer', async () => {
    const base = `${c.gateway.url}/crewai/v1`;
    const result = await runPython('examples/crewai/crew.py', {
      BROKE_BASE_URL: base,
      BROKE_MAX_TOKENS: '12',
      BROKE_KICKOFFS: '2',
      // A judge that likes the researcher's and writer's work and not the reviewer's.
      BROKE_SCORES: 'Researcher:1,Writer:1,Reviewer:0',
    });
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.json).toMatchObject({ ok: true, kickoffs: 2, tasks: [3, 3] });
    // No CrewAI warning (nor anything else) on stderr.
    expect(result.stderr).toBe('');

    type Listed = {
      id: string;
      role: string;
      session: string;
      depth: number;
      model: string;
      feedback: { count: number };
    };
    const listing = (await (await fetch(`${base}/routes?team=newsroom&limit=50`)).json()) as {
      data: Listed[];
    };
    const routes = [...listing.data].reverse(); // oldest first
    expect(routes.map((r) => r.role)).toEqual([
      'Researcher',
      'Writer',
      'Reviewer',
      'Researcher',
      'Writer',
      'Reviewer',
    ]);
    const [k1, k2] = [routes.slice(0, 3), routes.slice(3)];
    for (const kickoff of [k1, k2]) {
      expect(new Set(kickoff.map((r) => r.session)).size).toBe(1);
      expect(kickoff.map((r) => r.depth)).toEqual([0, 1, 2]);
    }
    expect(k2[0]?.session).not.toBe(k1[0]?.session);
    // The task callback rated "this role's newest route" after each task, never handling an id.
    expect((result.json as { rated: string[] }).rated).toEqual(routes.map((r) => r.id));
    expect(routes.map((r) => r.feedback.count)).toEqual([1, 1, 1, 1, 1, 1]);
    // After kickoff 1's zero, the reviewer moved to the other model; the others stayed put.
    expect(k2[2]?.model).not.toBe(k1[2]?.model);
    expect(k2.slice(0, 2).map((r) => r.model)).toEqual(k1.slice(0, 2).map((r) => r.model));
    for (const r of routes) {
      const e = await explainOverHttp(c.gateway.url, r.id);
      expect(e.context).toMatchObject({ framework: 'crewai', team: 'newsroom' });
      expect(e.attempts.at(-1)).toMatchObject({ ok: true });
      // Analysed from the task itself: CrewAI's template ("…not a summary") no longer makes
      // every task a summarization prompt. The task's words are prompt text: not kept.
      expect(e.summary).not.toMatch(/^summarization prompt/);
      expect(e.context.taskText).toBeUndefined();
    }
  });

  it('feedback posted for a route changes later routing for that role', async () => {
    const base = `${c.gateway.url}/crewai/v1`;
    const ask = async () => {
      const res = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-broke-role': 'Writer', 'x-broke-team': 'newsroom' },
        body: JSON.stringify({
          model: 'broke-auto',
          messages: [{ role: 'user', content: 'Write a line.' }],
          max_tokens: 4,
        }),
      });
      expect(res.status).toBe(200);
      await res.json();
      return {
        routeId: res.headers.get('x-broke-route-id') as string,
        model: res.headers.get('x-broke-model') as string,
      };
    };
    const before = await ask();
    const bad = before.model;
    // Thumbs down for everything the Writer got from that model, thumbs up for the other one.
    for (let i = 0; i < 6; i++) {
      const r = await ask();
      const res = await fetch(`${base}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ route_id: r.routeId, score: r.model === bad ? 0 : 1 }),
      });
      expect(res.status).toBe(200);
    }
    await fetch(`${base}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route_id: before.routeId, score: 0 }),
    });
    const after = await ask();
    expect(after.model).not.toBe(bad);
    const explanation = await explainOverHttp(c.gateway.url, after.routeId);
    const quality = (model: string) => explanation.ranked.find((r) => r.modelId === model)?.quality ?? NaN;
    const other = explanation.ranked.find((r) => r.modelId !== bad)?.modelId as string;
    expect(quality(bad)).toBeLessThan(quality(other));
  });
});
