import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainOverHttp, type MlxCluster, startMlxCluster } from './support/mlx-cluster.js';

/** The quality temperature over real mlx_lm.server nodes: on every answer, and moved by feedback. */
let c: MlxCluster;
const ORDER = ['green', 'yellow', 'orange', 'red'];

beforeAll(async () => {
  c = await startMlxCluster({ nodes: 1 });
});
afterAll(async () => {
  await c?.stop();
});

async function ask(role: string, stream: boolean): Promise<{ routeId: string; temperature: string | null }> {
  const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-broke-role': role },
    body: JSON.stringify({
      model: 'broke-auto',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
      stream,
    }),
  });
  expect(res.status).toBe(200);
  const routeId = res.headers.get('x-broke-route-id') as string;
  const temperature = res.headers.get('x-broke-quality-temperature');
  await res.text();
  return { routeId, temperature };
}

async function rate(routeId: string, score: number): Promise<void> {
  const res = await fetch(`${c.gateway.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ route_id: routeId, score }),
  });
  expect(res.status).toBeLessThan(300);
}

describe('x-broke-quality-temperature', () => {
  it('is on streaming and non-streaming answers, in the route explanation and in the listing', async () => {
    const plain = await ask('writer', false);
    const streamed = await ask('writer', true);
    for (const answer of [plain, streamed]) {
      expect(ORDER).toContain(answer.temperature);
      expect((await explainOverHttp(c.gateway.url, answer.routeId)).temperature).toBe(answer.temperature);
    }
    // The route listing shows the same colour.
    const listing = (await (await fetch(`${c.gateway.url}/v1/routes?role=writer`)).json()) as {
      data: Array<{ id: string; temperature: string | null }>;
    };
    for (const answer of [plain, streamed])
      expect(listing.data.find((r) => r.id === answer.routeId)?.temperature).toBe(answer.temperature);
  });

  it("rating a role's routes low makes that role's next answer on that model warmer", async () => {
    const before = await ask('reviewer', false);
    let last = before;
    for (let i = 0; i < 8; i++) {
      await rate(last.routeId, 0);
      last = await ask('reviewer', i % 2 === 1);
    }
    expect(ORDER.indexOf(last.temperature as string)).toBeGreaterThan(
      ORDER.indexOf(before.temperature as string),
    );
    expect(['orange', 'red']).toContain(last.temperature);
  });
});
