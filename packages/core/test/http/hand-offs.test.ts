import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainOverHttp, type MlxCluster, SMALL_AND_LARGE, startMlxCluster } from './support/mlx-cluster.js';

/**
 * Team outcomes teach hand-offs, over real mlx_lm.server nodes: whole-session scores posted to
 * /v1/feedback make the reviewer's model depend on the model the writer had in that session.
 * Per-route evidence is kept even (each reviewer model scores 0.9 after one writer model and 0.1
 * after the other), so only the combination statistic can tell the two cases apart.
 */
let c: MlxCluster;
let session = 0;

beforeAll(async () => {
  c = await startMlxCluster({
    nodes: 2,
    config: { models: SMALL_AND_LARGE.map((m) => ({ ...m, capabilities: [...m.capabilities] })) },
  });
});
afterAll(async () => {
  await c?.stop();
});

async function turn(
  sessionId: string,
  role: string,
  model: string,
): Promise<{ routeId: string; model: string }> {
  const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-broke-team': 'crew',
      'x-broke-role': role,
      'x-broke-session': sessionId,
    },
    body: JSON.stringify({
      model,
      messages: [{ role: 'user', content: 'Thanks, that looks fine.' }],
      max_tokens: 3,
    }),
  });
  expect(res.status).toBe(200);
  await res.text();
  return {
    routeId: res.headers.get('x-broke-route-id') as string,
    model: res.headers.get('x-broke-model') as string,
  };
}

async function sessionOutcome(sessionId: string, score: number): Promise<string[]> {
  const res = await fetch(`${c.gateway.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session: sessionId, outcome: 'session', score }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { route_ids: string[] }).route_ids;
}

/** A crew run: the writer on `writer`, then the reviewer on `reviewer` (a model id or broke-auto). */
async function run(writer: string, reviewer: string) {
  const id = `run-${session++}`;
  const w = await turn(id, 'writer', writer);
  const r = await turn(id, 'reviewer', reviewer);
  return { id, writer: w, reviewer: r };
}

describe('session outcomes and hand-offs', () => {
  it('a session outcome changes a later hand-off choice, and the explanation says so', async () => {
    // Training: after a writer on tiny-a the reviewer does well on tiny-b, after tiny-b on tiny-a.
    for (let i = 0; i < 4; i++) {
      for (const [writer, reviewer, score] of [
        ['tiny-a', 'tiny-b', 0.9],
        ['tiny-a', 'tiny-a', 0.1],
        ['tiny-b', 'tiny-a', 0.9],
        ['tiny-b', 'tiny-b', 0.1],
      ] as const) {
        const done = await run(writer, reviewer);
        expect(await sessionOutcome(done.id, score)).toEqual([done.reviewer.routeId, done.writer.routeId]);
      }
    }
    const afterA = await run('tiny-a', 'broke-auto');
    const afterB = await run('tiny-b', 'broke-auto');
    expect(afterA.reviewer.model).toBe('tiny-b');
    expect(afterB.reviewer.model).toBe('tiny-a');
    // Without the hand-off statistic the reviewer's first choice here is tiny-a (checked by
    // turning the factor off): it is what moved the choice, and the summary says so.
    expect((await explainOverHttp(c.gateway.url, afterA.reviewer.routeId)).summary).toContain(
      'the hand-off statistic decided it',
    );
    for (const { reviewer, writer } of [afterA, afterB]) {
      const e = await explainOverHttp(c.gateway.url, reviewer.routeId);
      const chosen = e.ranked[0];
      expect(chosen?.terms['hand-off']?.value).toBeGreaterThan(0);
      expect(chosen?.terms['hand-off']?.note).toContain(`after writer on ${writer.model}`);
      expect(e.ranked[1]?.terms['hand-off']?.value).toBeLessThan(0);
    }
  });

  it('a session outcome needs the session alone', async () => {
    const res = await fetch(`${c.gateway.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session: 'run-0', role: 'writer', outcome: 'session', score: 1 }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('outcome "session"');
    const unknown = await fetch(`${c.gateway.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session: 'no-such-run', outcome: 'session', score: 1 }),
    });
    expect(unknown.status).toBe(404);
  });
});
