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
  });
});
