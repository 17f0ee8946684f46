import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainOverHttp, type MlxCluster, startMlxCluster } from './support/mlx-cluster.js';

/**
 * Non-streaming traffic (CrewAI and AutoGen call without streaming) teaches the router the node's
 * real speed, over a real mlx_lm.server node: its predicted time for the next answer is close to
 * what answers took, not the tier defaults or a time to first token as long as a whole answer.
 */
let c: MlxCluster;
beforeAll(async () => {
  c = await startMlxCluster({ nodes: 1 });
});
afterAll(async () => {
  await c?.stop();
});

async function ask(): Promise<{ routeId: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-broke-role': 'writer' },
    body: JSON.stringify({
      model: 'broke-auto',
      messages: [{ role: 'user', content: 'Write a long story about a lighthouse keeper.' }],
      max_tokens: 200,
    }),
  });
  expect(res.status).toBe(200);
  await res.json();
  return { routeId: res.headers.get('x-broke-route-id') as string, ms: performance.now() - t0 };
}

describe('speed learned from non-streaming answers', () => {
  it("predicts the next answer's time from what answers took", async () => {
    const took: number[] = [];
    for (let i = 0; i < 6; i++) took.push((await ask()).ms);
    const next = await ask();
    const e = await explainOverHttp(c.gateway.url, next.routeId);
    const chosen = e.ranked[0];
    expect(chosen?.terms['run-time']?.note).toContain('measured speed');
    const typical = [...took].sort((a, b) => a - b)[Math.floor(took.length / 2)] as number;
    // Within a factor of two of the median answer (it was ~4× with the whole latency as the TTFT).
    expect(chosen?.timeMs).toBeLessThan(2 * typical);
    expect(chosen?.timeMs).toBeGreaterThan(typical / 2);
  });
});
