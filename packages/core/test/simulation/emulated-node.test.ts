import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatedNode, nodeOf, startEmulatedNode } from '../../../../bench/cluster/emulated-node.js';
import { type HardwareProfile, promptHash } from '../../src/simulation/index.js';

// The benchmark's emulated node (bench/cluster): OpenAI wire format, slots + FIFO queue, marker.
const profile: HardwareProfile = {
  id: 'emu-1',
  chip: 'test',
  model: { id: 'emu-model', parameters: 7, tier: 'small', contextLength: 8192 },
  prefillTokensPerSec: 100_000,
  decodeTokensPerSec: 100,
  slots: 2,
  batchSlowdown: 0,
  memoryGb: 16,
};

const short = 'say something short';
const long = 'say something longer';
let node: EmulatedNode;

beforeAll(async () => {
  const outputs = new Map([
    [promptHash(short), 5],
    [promptHash(long), 30],
  ]);
  node = await startEmulatedNode({ profile, outputs });
});
afterAll(() => node.stop());

const post = (body: unknown) =>
  fetch(`${node.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'anything',
  messages: [
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content },
  ],
  ...extra,
});

async function sse(res: Response): Promise<Array<Record<string, unknown> | '[DONE]'>> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6))
    .map((d) => (d === '[DONE]' ? '[DONE]' : (JSON.parse(d) as Record<string, unknown>)));
}

describe('emulated node', () => {
  it('answers without streaming: model id, node marker, length from the prompt', async () => {
    const res = await post(ask(short));
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      model: string;
      choices: Array<{ message: { content: string }; finish_reason: string }>;
      usage: { completion_tokens: number; prompt_tokens: number };
    };
    expect(body.model).toBe('emu-model');
    expect(body.choices[0]?.message.content.startsWith('[node:emu-1]')).toBe(true);
    expect(nodeOf(body.choices[0]?.message.content ?? '')).toBe('emu-1');
    expect(body.choices[0]?.finish_reason).toBe('stop');
    expect(body.usage.completion_tokens).toBe(5);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('streams, with usage in the final chunk when asked, and caps at max_tokens', async () => {
    const events = await sse(
      await post(ask(long, { stream: true, stream_options: { include_usage: true } })),
    );
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.filter((e): e is Record<string, unknown> => e !== '[DONE]');
    type Choice = { delta: { content?: string }; finish_reason: string | null };
    const text = chunks.map((c) => ((c.choices as Choice[])[0]?.delta.content ?? '') as string).join('');
    expect(nodeOf(text)).toBe('emu-1');
    // Batched: fewer events than tokens.
    expect(chunks.length).toBeLessThan(30);
    expect(chunks.some((c) => (c.choices as Choice[])[0]?.finish_reason === 'stop')).toBe(true);
    const usage = chunks.at(-1)?.usage as { completion_tokens: number };
    expect(usage.completion_tokens).toBe(30);
    expect(chunks.every((c) => c.model === 'emu-model')).toBe(true);

    const plain = await sse(await post(ask(long, { stream: true })));
    expect(plain.some((e) => e !== '[DONE]' && e.usage)).toBe(false);

    const capped = (await (await post(ask(long, { max_tokens: 3 }))).json()) as {
      choices: Array<{ finish_reason: string }>;
      usage: { completion_tokens: number };
    };
    expect(capped.usage.completion_tokens).toBe(3);
    expect(capped.choices[0]?.finish_reason).toBe('length');
  });

  it('serves two at once and queues the third until a slot frees', async () => {
    const t0 = performance.now();
    const done = (p: Promise<Response>) => p.then((r) => r.json()).then(() => performance.now() - t0);
    const first = done(post(ask(long)));
    const second = done(post(ask(long)));
    await new Promise((r) => setTimeout(r, 30));
    const third = done(post(ask(long)));
    await new Promise((r) => setTimeout(r, 60));
    const mid = (await (await fetch(`${node.url}/health`)).json()) as { active: number; queued: number };
    expect(mid).toMatchObject({ active: 2, queued: 1 });
    const [a, b, c] = await Promise.all([first, second, third]);
    // 30 tokens at 100/s ≈ 300 ms each: the third ends about one service time after the first two.
    expect(c).toBeGreaterThan(Math.max(a, b) + 150);
  });

  it('lists its model and can be swapped for a weakened one', async () => {
    const models = (await (await fetch(`${node.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(['emu-model']);
    const swap = await fetch(`${node.url}/admin/swap`, { method: 'POST', body: '{"weakened":true}' });
    expect(swap.status).toBe(200);
    const health = (await (await fetch(`${node.url}/health`)).json()) as { weakened: boolean };
    expect(health.weakened).toBe(true);
    node.setWeakened(false);
    expect(node.stats().weakened).toBe(false);
  });

  it('rejects a malformed body with an OpenAI error', async () => {
    const res = await post({ model: 'x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/messages/);
  });
});
