import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlxNode } from '../../../../testbed/index.js';
import { type MlxCluster, startMlxCluster } from './support/mlx-cluster.js';

/**
 * Issue 14: a node that freezes (a Mac asleep; here SIGSTOP) while it holds requests releases
 * them when the monitor declares it down, not after their whole timeout: those waiting in its
 * queue and those waiting for its first token fail over to a node that answers.
 */
/** Far longer than the test may take: an answer only by timeout would fail it. */
const NODE_TIMEOUT_MS = 120_000;

let c: MlxCluster;

beforeAll(async () => {
  c = await startMlxCluster({
    nodes: 2,
    node: { maxConcurrency: 1, queueLimit: 8, requestTimeoutMs: NODE_TIMEOUT_MS },
    config: {
      routing: { explorationRate: 0, seed: 7, maxAttempts: 2 },
      monitor: { intervalMs: 200, timeoutMs: 500, downAfter: 2, upAfter: 1 },
    },
    monitor: true,
  });
});

afterAll(async () => {
  c?.nodes[0]?.kill('SIGCONT');
  await c?.stop();
});

describe('a node that freezes while it holds requests', () => {
  it('hands them to another node once the monitor sees it down', { timeout: 60_000 }, async () => {
    const frozen = c.nodes[0] as MlxNode;
    frozen.kill('SIGSTOP');
    const ask = (i: number) =>
      fetch(`${c.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'broke-auto',
          max_tokens: 8,
          stream: i % 2 === 1,
          messages: [{ role: 'user', content: `Say hello number ${i}.` }],
        }),
      }).then(async (res) => ({ status: res.status, text: await res.text() }));
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => ask(i)));
    for (const a of answers) {
      expect(a.status, a.text).toBe(200);
      expect(a.text).not.toMatch(/"error"/);
    }
    // Some of them were given to the frozen node first, and left it because it went down.
    const handedOver = c.decisions.filter((d) =>
      d.attempts.some(
        (t) => t.nodeId === 'a' && !t.ok && /stopped answering its health checks/.test(t.error ?? ''),
      ),
    );
    expect(handedOver.length, JSON.stringify(c.decisions.map((d) => d.attempts))).toBeGreaterThan(0);
    for (const d of handedOver) expect(d.attempts.at(-1)).toMatchObject({ nodeId: 'b', ok: true });
  });

  it('ends a stream already under way with a stream_interrupted event', { timeout: 60_000 }, async () => {
    const node = c.nodes[0] as MlxNode;
    node.kill('SIGCONT');
    for (let i = 0; i < 200 && c.cluster.node('a')?.up !== true; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(c.cluster.node('a')?.up).toBe(true);
    const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny-a',
        max_tokens: 4000,
        stream: true,
        messages: [{ role: 'user', content: 'Write a very long story.' }],
      }),
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    let frozen = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!frozen && text.includes('"content"')) {
        node.kill('SIGSTOP');
        frozen = true;
      }
    }
    expect(frozen).toBe(true);
    expect(text).toMatch(/"code":\s*"stream_interrupted"/);
    expect(text).toMatch(/stopped answering its health checks/);
    expect(text).not.toContain('[DONE]');
  });
});
