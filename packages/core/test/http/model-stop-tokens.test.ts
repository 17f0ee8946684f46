import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../../../testbed/index.js';
import { BrokeConfigSchema, type RunningGateway, startGateway } from '../../src/index.js';

// A model's own stop strings (config `models[].stopTokens`, filled by scan-models from its
// tokenizer_config.json) reach the gateway's driver: the real `hello` model says
// "Hello from BROKE!", and with " BROKE" declared as a stop string the client gets "Hello from".
describe('models[].stopTokens through the gateway', () => {
  let node: MlxNode;
  let other: MlxNode;
  let gateway: RunningGateway;
  let client: OpenAI;

  beforeAll(async () => {
    [node, other] = await Promise.all([startMlxNode({ model: 'hello' }), startMlxNode({ model: 'hello' })]);
    const config = BrokeConfigSchema.parse({
      nodes: [
        { id: 'n', url: node.url, models: [{ id: 'hello', servedName: node.modelPath }] },
        { id: 'm', url: other.url, models: [{ id: 'hello-raw', servedName: other.modelPath }] },
      ],
      models: [{ id: 'hello', stopTokens: [' BROKE'] }, { id: 'hello-raw' }],
      store: { kind: 'memory' },
      gateway: { port: 0 },
    });
    gateway = await startGateway({ config, bridges: [] });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([node?.stop(), other?.stop()]);
  });

  it('cuts the declared stop string, non-streaming and streaming', async () => {
    const messages = [{ role: 'user' as const, content: 'who are you?' }];
    const plain = await client.chat.completions.create({ model: 'hello', messages, max_tokens: 16 });
    expect(plain.choices[0]?.message.content).toBe('Hello from');
    expect(plain.choices[0]?.finish_reason).toBe('stop');

    const stream = await client.chat.completions.create({
      model: 'hello',
      messages,
      max_tokens: 16,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from');
  });

  it('leaves a model without that stop string alone', async () => {
    const res = await client.chat.completions.create({
      model: 'hello-raw',
      messages: [{ role: 'user', content: 'who are you?' }],
      max_tokens: 16,
    });
    expect(res.choices[0]?.message.content).toBe('Hello from BROKE!');
  });
});
