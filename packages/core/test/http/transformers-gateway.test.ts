import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTransformersNode, type TransformersNode } from '../../../../testbed/transformers-node.js';
import { detectServer } from '../../src/cli/discovery.js';
import {
  BrokeConfigSchema,
  ClusterMonitor,
  ClusterState,
  type RunningGateway,
  startGateway,
} from '../../src/index.js';

// A REAL `transformers serve` (PyTorch on CPU, its own venv from scripts/setup-transformers.sh)
// serving the generated `leaky` model, which says "The answer is 42." and then leaks `</s>` and a
// tail: chat through the gateway to a `kind: transformers` node, streaming and not, cleaned.
describe('transformers serve as a node kind, through the gateway', () => {
  let node: TransformersNode;
  let gateway: RunningGateway;
  let monitor: ClusterMonitor;
  let client: OpenAI;

  beforeAll(async () => {
    node = await startTransformersNode({ model: 'leaky' });
    const config = BrokeConfigSchema.parse({
      nodes: [
        {
          id: 'hf',
          url: node.url,
          kind: 'transformers',
          models: [{ id: 'leaky', servedName: node.modelPath }],
        },
      ],
      store: { kind: 'memory' },
      gateway: { port: 0 },
    });
    const cluster = new ClusterState(config.nodes);
    monitor = new ClusterMonitor({ nodes: config.nodes, monitor: config.monitor, state: cluster });
    await monitor.pollOnce();
    gateway = await startGateway({ config, cluster, bridges: [] });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await monitor?.stop();
    await gateway?.close();
    await node?.stop();
  });

  it('init-style discovery names it transformers (not mlx, though it lists a model path)', async () => {
    expect(await detectServer(node.url)).toEqual({
      url: node.url,
      kind: 'transformers',
      models: [node.modelPath],
    });
  });

  it('the monitor sees it up, with its pinned model loaded and validated', () => {
    const state = gateway.cluster.node('hf');
    expect(state?.up, node.log()).toBe(true);
    expect(state?.loadedModels).toEqual(['leaky']);
    expect(state?.validatedModels).toEqual(['leaky']);
  });

  it('non-streaming: the leaked </s> and its tail are cut', async () => {
    const res = await client.chat.completions.create({
      model: 'leaky',
      messages: [{ role: 'user', content: 'what is the answer?' }],
      max_tokens: 16,
    });
    expect(res.choices[0]?.message.content, node.log()).toBe('The answer is 42.');
    expect(res.choices[0]?.finish_reason).toBe('stop');
  });

  it('streaming (its stream has no [DONE]): same text, finish_reason stop', async () => {
    const stream = await client.chat.completions.create({
      model: 'leaky',
      messages: [{ role: 'user', content: 'what is the answer?' }],
      max_tokens: 16,
      stream: true,
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text, node.log()).toBe('The answer is 42.');
    expect(finish).toBe('stop');
  });
});
