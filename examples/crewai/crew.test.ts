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
  it('finishes, and every agent request reached routing with its role, team and the crew session', async () => {
    const result = await runPython('examples/crewai/crew.py', {
      BROKE_BASE_URL: `${c.gateway.url}/crewai/v1`,
      BROKE_SESSION: 'crew-e2e-1',
      BROKE_MAX_TOKENS: '12',
    });
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.json).toMatchObject({ ok: true, tasks: 3 });

    const crewRoutes = c.decisions.filter((d) => d.context.sessionId === 'crew-e2e-1');
    expect(crewRoutes.length).toBeGreaterThanOrEqual(3);
    const explained = await Promise.all(crewRoutes.map((d) => explainOverHttp(c.gateway.url, d.routeId)));
    const roles = explained.map((e) => e.context.role);
    expect(new Set(roles)).toEqual(new Set(['Researcher', 'Writer', 'Reviewer']));
    expect(roles.indexOf('Researcher')).toBeLessThan(roles.indexOf('Writer'));
    expect(roles.indexOf('Writer')).toBeLessThan(roles.indexOf('Reviewer'));
    for (const e of explained) {
      expect(e.context).toMatchObject({ framework: 'crewai', team: 'newsroom', sessionId: 'crew-e2e-1' });
      expect(e.attempts.at(-1)).toMatchObject({ ok: true });
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
