import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../mlx-node.js';

// The foundation of every integration test: a real mlx_lm.server serving a generated model.
describe('test bed: real mlx_lm.server nodes', () => {
  let hello: MlxNode;
  let tiny: MlxNode;

  beforeAll(async () => {
    [hello, tiny] = await Promise.all([startMlxNode({ model: 'hello' }), startMlxNode({ model: 'tiny' })]);
  });
  afterAll(async () => {
    await Promise.all([hello?.stop(), tiny?.stop()]);
  });

  it('answers a non-streaming chat completion with the scripted text', async () => {
    const client = new OpenAI({ baseURL: `${hello.url}/v1`, apiKey: 'unused' });
    const res = await client.chat.completions.create({
      model: 'default_model',
      messages: [{ role: 'user', content: 'Who are you?' }],
      max_tokens: 16,
    });
    expect(res.choices[0]?.message.content).toBe('Hello from BROKE!');
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('streams the same text token by token', async () => {
    const client = new OpenAI({ baseURL: `${hello.url}/v1`, apiKey: 'unused' });
    const stream = await client.chat.completions.create({
      model: 'default_model',
      messages: [{ role: 'user', content: 'Who are you?' }],
      max_tokens: 16,
      stream: true,
    });
    const parts: string[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      if (delta) parts.push(delta);
    }
    expect(parts.join('')).toBe('Hello from BROKE!');
    expect(parts.length).toBeGreaterThanOrEqual(4);
  });

  it('runs a random-weight model to max_tokens and reports usage', async () => {
    const client = new OpenAI({ baseURL: `${tiny.url}/v1`, apiKey: 'unused' });
    const res = await client.chat.completions.create({
      model: 'default_model',
      messages: [{ role: 'user', content: 'Write a haiku.' }],
      max_tokens: 8,
    });
    expect(res.usage?.completion_tokens).toBe(8);
    expect(res.choices[0]?.finish_reason).toBe('length');
  });

  it('lists the served model path and reports health', async () => {
    const models = (await (await fetch(`${tiny.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toContain(tiny.modelPath);
    expect(await (await fetch(`${tiny.url}/health`)).json()).toEqual({ status: 'ok' });
  });
});
