import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainOverHttp, type MlxCluster, SMALL_AND_LARGE, startMlxCluster } from './support/mlx-cluster.js';

/**
 * Parallel agents of one run over real mlx_lm.server nodes: while the run's architect is still
 * streaming, its writer is routed knowing the run waits for the architect (the team-slack
 * factor); once the architect is done and its outcome recorded, nothing holds the run.
 */
let c: MlxCluster;

beforeAll(async () => {
  c = await startMlxCluster({
    nodes: 2,
    config: {
      models: SMALL_AND_LARGE.map((m) => ({ ...m, capabilities: [...m.capabilities] })),
      routing: { explorationRate: 0, seed: 7, maxAttempts: 3, teamSlack: true },
    },
  });
});
afterAll(async () => {
  await c?.stop();
});

const headers = (role: string) => ({
  'content-type': 'application/json',
  'x-broke-team': 'crew',
  'x-broke-role': role,
  'x-broke-session': 'run-1',
});

async function ask(role: string, content: string, maxTokens: number): Promise<string> {
  const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: headers(role),
    body: JSON.stringify({
      model: 'broke-auto',
      messages: [{ role: 'user', content }],
      max_tokens: maxTokens,
    }),
  });
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get('x-broke-route-id') as string;
}

describe('parallel agents of one run', () => {
  it("a request routed while another role of its run is in flight sees the run's wait; alone, it does not", async () => {
    // The architect streams a long answer; the writer asks while it is still coming.
    const architect = await fetch(`${c.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: headers('architect'),
      body: JSON.stringify({
        model: 'broke-auto',
        messages: [
          {
            role: 'user',
            content: 'Design a sharded, replicated key-value store and prove it is linearizable.',
          },
        ],
        max_tokens: 400,
        stream: true,
      }),
    });
    expect(architect.status).toBe(200);
    const reader = architect.body?.getReader();
    if (!reader) throw new Error('no stream');
    await reader.read(); // its first bytes: the architect is in flight now
    const during = await ask('writer', 'Write one sentence announcing the design review.', 4);
    let done = false;
    while (!done) done = (await reader.read()).done;

    const e = await explainOverHttp(c.gateway.url, during);
    const notes = e.ranked.map((r) => r.terms['team-slack']?.note ?? '');
    expect(notes.every((n) => /^the run waits ~\d+ ms for its other requests in flight/.test(n))).toBe(true);
    // Each candidate's predicted time is at least the run's wait: finishing sooner saves nothing.
    for (const r of e.ranked) {
      const wait = Number(/~(\d+) ms/.exec(r.terms['team-slack']?.note ?? '')?.[1]);
      expect(r.timeMs).toBeGreaterThanOrEqual(wait - 1);
    }

    // The architect's outcome is recorded when its stream ends; the run's next request is on its own.
    const after = await ask('writer', 'Write one sentence announcing the design review.', 4);
    const alone = await explainOverHttp(c.gateway.url, after);
    expect(
      alone.ranked.every((r) => r.terms['team-slack']?.value === 0 && !r.terms['team-slack']?.note),
    ).toBe(true);
  });
});
