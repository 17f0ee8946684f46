import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxCluster, startMlxCluster } from './support/mlx-cluster.js';

/**
 * Issue 14: a request that crashes the model server it reaches (mlx_lm.server 0.32 dies on a
 * `logit_bias` for a token id beyond its vocabulary) must not be carried to every node in turn. After the second node
 * it took down, the gateway stops and answers 400, which OpenAI SDKs do not retry.
 */
let c: MlxCluster;

beforeAll(async () => {
  c = await startMlxCluster({ nodes: 3 });
});
afterAll(async () => {
  await c?.stop();
});

const alive = async (url: string) =>
  fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.ok,
    () => false,
  );

describe('a request that kills nodes', () => {
  it('takes down at most two nodes, then a 400 naming them; the third node never sees it', async () => {
    const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'broke-auto',
        max_tokens: 4,
        logit_bias: { '99999999': 5 },
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const text = await res.text();
    const alivePerNode = await Promise.all(c.nodes.map((n) => alive(n.url)));
    const dead = alivePerNode.filter((up) => !up).length;
    // If this mlx-lm version stopped crashing on it, the request simply succeeds: say so plainly.
    expect(dead, `no node died: ${res.status} ${text.slice(0, 300)}`).toBeGreaterThan(0);
    expect(res.status, text).toBe(400);
    const error = JSON.parse(text).error;
    expect(error.code).toBe('request_crashes_nodes');
    expect(error.message).toMatch(/stopped answering right after taking this request/);
    expect(dead).toBe(2);
    expect(alivePerNode.filter(Boolean)).toHaveLength(1);

    // The cluster still serves, from the node the request never reached.
    const ok = await fetch(`${c.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'broke-auto',
        max_tokens: 2,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(ok.status, await ok.clone().text()).toBe(200);
  });
});
