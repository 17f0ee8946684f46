import { createAutogenExtractor } from '@broke/autogen-bridge';
import { createCrewaiExtractor } from '@broke/crewai-bridge';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzePrompt, type ChatBody } from '../../src/index.js';
import { type MlxCluster, startMlxCluster } from './support/mlx-cluster.js';

/**
 * Hostile input (issue 14's findings 1-3), against real mlx_lm.server nodes where a node is
 * involved: no request can stall the gateway, cool down a node by its own fault, or pass for a
 * complete answer when its stream was cut.
 */

/** Pieces the prompt patterns look for: repeated, they are what made the old patterns quadratic. */
const FRAGMENTS = [
  "what does 'x ",
  'You are a. ',
  'You are in a role play game. The following roles are available:\n',
  '\nRead the following conversation. Then select the next role from [',
  "\n\nThis is the context you're working with:\n",
  'Current Task: ',
  'if a, ',
  '. . ',
  '```',
  'user: x\n\n\n',
];

/** Everything the gateway runs over a prompt before routing it: analysis and both extractors. */
function inspect(text: string): void {
  const body = {
    model: 'broke-auto',
    messages: [
      { role: 'system', content: text },
      { role: 'user', content: text },
    ],
  } as ChatBody;
  analyzePrompt(body.messages as never);
  createCrewaiExtractor()(body, new Headers());
  createAutogenExtractor()(body, new Headers());
}

function timeOf(text: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    inspect(text);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('prompt inspection is linear on any input', () => {
  it('16× the text costs about 16× the time, not 256× (adversarial repetitions)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 3 }), (parts) => {
        const unit = parts.join('');
        const small = unit.repeat(Math.ceil(16_384 / unit.length));
        const large = unit.repeat(Math.ceil(262_144 / unit.length));
        const [ts, tl] = [timeOf(small), timeOf(large)];
        // Linear gives ~16×; the quadratic patterns this replaces gave ~256× (2 s at 128 KB, so
        // seconds here). The 500 ms floor keeps a busy machine's pauses from reading as growth.
        return tl < Math.max(500, 48 * ts);
      }),
      { numRuns: 12, seed: 14 },
    );
  });
});

let c: MlxCluster;
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  c = await startMlxCluster({ nodes: 2 });
});
afterAll(async () => {
  await c?.stop();
});

/** No node is in a cooldown. */
function noneCooled(): boolean {
  const now = Date.now();
  return ['a', 'b'].every((id) => (c.cluster.node(id)?.cooldownUntil ?? 0) <= now);
}

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${c.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...json, ...headers },
    body,
  });
  return { status: res.status, routeId: res.headers.get('x-broke-route-id'), body: await res.text() };
}

describe('client faults are the client’s (real nodes)', () => {
  it('a value nested 5,000 deep: 400 once, no node tried twice, none cooled', async () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const res = await post(
      `{"model":"broke-auto","max_tokens":2,"messages":[{"role":"user","content":"hi"}],"x_extra":${deep}}`,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ type: 'invalid_request_error' });
    expect(noneCooled()).toBe(true);
  });

  it('a lone surrogate: 400 naming the field, before any node sees it', async () => {
    const res = await post(
      '{"model":"broke-auto","max_tokens":2,"messages":[{"role":"user","content":"bad \\ud800 text"}]}',
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/messages\[0\]\.content.*surrogate/);
    expect(noneCooled()).toBe(true);
  });

  it("a node's 400 about the request is answered once, with no failover and no cooldown", async () => {
    const res = await post(
      JSON.stringify({
        model: 'broke-auto',
        max_tokens: 2,
        logprobs: true,
        top_logprobs: 'x',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(res.status).toBe(400);
    const explained = (await (await fetch(`${c.gateway.url}/v1/routes/${res.routeId}`)).json()) as {
      attempts: unknown[];
    };
    expect(explained.attempts).toHaveLength(1);
    expect(noneCooled()).toBe(true);
    // And the cluster still serves.
    const ok = await post(
      JSON.stringify({ model: 'broke-auto', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(ok.status).toBe(200);
  });
});

describe('a stream cut short is an interruption (real node killed mid-answer)', () => {
  it('error event, no [DONE], and the route recorded as failed', async () => {
    const k = await startMlxCluster({ nodes: 1 });
    try {
      const res = await fetch(`${k.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          model: 'broke-auto',
          stream: true,
          max_tokens: 4000,
          messages: [{ role: 'user', content: 'Write a very long story.' }],
        }),
      });
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value);
      // The first tokens are out: now the node dies (the kernel closes its socket: a clean end).
      k.nodes[0]?.kill('SIGKILL');
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      expect(text).not.toContain('data: [DONE]');
      expect(text).toContain('"stream_interrupted"');
      const routeId = res.headers.get('x-broke-route-id');
      await new Promise((r) => setTimeout(r, 50));
      const listed = (await (await fetch(`${k.gateway.url}/v1/routes`)).json()) as {
        data: Array<{ id: string; status: string }>;
      };
      expect(listed.data.find((r) => r.id === routeId)?.status).toBe('error');
    } finally {
      await k.stop();
    }
  });
});
