import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import { createDriver } from '../../src/drivers/factory.js';
import type { OpenAICompatibleDriver } from '../../src/drivers/openai-compatible.js';

// Integration: real mlx_lm.server processes from the test bed.
describe('mlx driver against a real mlx_lm.server', () => {
  let leaky: MlxNode;
  let driver: OpenAICompatibleDriver;

  beforeAll(async () => {
    leaky = await startMlxNode({ model: 'leaky' });
    driver = createDriver({
      id: 'leaky-node',
      url: leaky.url,
      kind: 'mlx',
      models: [{ id: 'leaky', servedName: leaky.modelPath }],
    });
  });
  afterAll(async () => {
    await leaky?.stop();
  });

  it('observes health, the served model path and that it is loaded', async () => {
    expect((await driver.health()).ok).toBe(true);
    expect(await driver.listModels()).toContain(leaky.modelPath);
    expect((await driver.metrics()).loadedModels).toEqual([leaky.modelPath]);
  });

  it('the raw server output leaks </s> (so the cleaner has work to do)', async () => {
    const raw = createDriver({ id: 'raw', url: leaky.url, kind: 'mlx' }, { cleanOutput: false });
    const c = await raw.chat({
      model: 'default_model',
      messages: [{ role: 'user', content: 'q' }],
      temperature: 0,
      max_tokens: 20,
    });
    expect(c.choices[0]?.message.content).toContain('</s> ignored tail');
  });

  it('non-streaming: cuts at </s>', async () => {
    const c = await driver.chat({
      model: 'leaky',
      messages: [{ role: 'user', content: 'q' }],
      temperature: 0,
      max_tokens: 20,
    });
    expect(c.choices[0]?.message.content).toBe('The answer is 42.');
    expect(c.choices[0]?.finish_reason).toBe('stop');
  });

  it('streaming: cuts at </s> across chunk boundaries and stops', async () => {
    let text = '';
    const pieces: string[] = [];
    let finish: string | null | undefined;
    for await (const chunk of driver.chatStream({
      model: 'leaky',
      messages: [{ role: 'user', content: 'q' }],
      temperature: 0,
      max_tokens: 20,
      stream: true,
    })) {
      const t = chunk.choices[0]?.delta?.content ?? '';
      if (t) pieces.push(t);
      text += t;
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('The answer is 42.');
    expect(pieces.join('')).not.toContain('</');
    expect(finish).toBe('stop');
    // The server is still healthy after we hung up mid-stream.
    expect((await driver.health()).ok).toBe(true);
  });

  it('maps unknown ids to default_model (never a hub download)', async () => {
    const bare = createDriver({ id: 'bare', url: leaky.url, kind: 'mlx' });
    expect((bare as OpenAICompatibleDriver).resolveModel('some-org/some-model')).toBe('default_model');
    const c = await bare.chat({
      model: 'whatever',
      messages: [{ role: 'user', content: 'q' }],
      max_tokens: 20,
    });
    expect(c.choices[0]?.message.content).toBe('The answer is 42.');
  });
});
