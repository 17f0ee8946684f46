import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  explainOverHttp,
  type MlxCluster,
  startMlxCluster,
} from '../../packages/core/test/http/support/mlx-cluster.js';
import { runCustomAgent } from './agent.js';

/** The plain-HTTP TypeScript agent team over the gateway and real mlx_lm.server nodes. */
let c: MlxCluster;
beforeAll(async () => {
  c = await startMlxCluster({ nodes: 2 });
});
afterAll(async () => {
  await c?.stop();
});

describe('custom agent (plain HTTP with role headers)', () => {
  it('routes each step under its role and posts the checker verdict as feedback', async () => {
    const result = await runCustomAgent({ baseUrl: c.gateway.url, session: 'custom-e2e', maxTokens: 8 });
    expect(result.feedback).toBe(200);
    expect(result.turns.map((t) => t.role)).toEqual(['planner', 'worker', 'checker']);
    for (const t of result.turns) {
      const e = await explainOverHttp(c.gateway.url, t.routeId);
      expect(e.context).toMatchObject({
        role: t.role,
        team: 'custom',
        sessionId: 'custom-e2e',
        framework: 'custom',
      });
      expect(t.model).toMatch(/^tiny-[ab]$/);
    }
    const worker = await explainOverHttp(c.gateway.url, result.turns[1]?.routeId ?? '');
    expect(worker.context.taskType).toBe('creative');
    // A fresh cluster is not warned about the worker: no second review.
    expect(['green', 'yellow']).toContain(result.turns[1]?.temperature);
    expect(result.rechecked).toBe(false);
  });

  it("re-checks on the quality profile when the worker's answer comes back orange or red", async () => {
    // The worker's answers were judged bad again and again: BROKE's temperature for it warms up.
    for (let i = 0; i < 8; i++) {
      const run = await runCustomAgent({ baseUrl: c.gateway.url, session: `warm-${i}`, maxTokens: 4 });
      const res = await fetch(`${c.gateway.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ route_id: run.turns[1]?.routeId, score: 0 }),
      });
      expect(res.status).toBe(200);
    }
    const result = await runCustomAgent({ baseUrl: c.gateway.url, session: 'custom-hot', maxTokens: 8 });
    expect(['orange', 'red']).toContain(result.turns[1]?.temperature);
    expect(result.rechecked).toBe(true);
    expect(result.turns.map((t) => t.role)).toEqual(['planner', 'worker', 'checker', 'checker']);
    const recheck = await explainOverHttp(c.gateway.url, result.turns[3]?.routeId ?? '');
    expect(recheck.profile).toBe('quality');
  });
});
