import { BrokeConfigSchema, type RunningGateway, startGateway } from '@broke/core';
import { BrokeChatModel, routeOf } from '@broke/langchain';
import { ToolMessage } from '@langchain/core/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxNode, startMlxNode } from '../../testbed/index.js';
import { runDraftReview } from './draft-review-chain.js';
import { runWeatherAgent, weatherCreateAgent } from './weather-agent.js';

// Both examples, in both modes, on real mlx_lm.server nodes serving scripted models. Role rules
// pin each role to its node, so the test can see every step go where its role says.
const ROLES: Array<[model: string, role: string, tools: boolean]> = [
  ['lc-draft', 'drafter', false],
  ['lc-review', 'reviewer', false],
  ['tool-call', 'planner', true],
  ['lc-answer', 'writer', false],
];

let nodes: MlxNode[] = [];
let gateway: RunningGateway;
let config: ReturnType<typeof BrokeConfigSchema.parse>;

beforeAll(async () => {
  const started = await Promise.allSettled(ROLES.map(([model]) => startMlxNode({ model })));
  nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  config = BrokeConfigSchema.parse({
    nodes: ROLES.map(([model], i) => ({
      id: `n-${model}`,
      url: nodes[i]?.url,
      models: [{ id: model, path: nodes[i]?.modelPath }],
    })),
    models: ROLES.map(([model, , tools]) => ({
      id: model,
      capabilities: tools ? ['tools', 'streaming'] : ['streaming'],
    })),
    routing: { explorationRate: 0, roleRules: ROLES.map(([model, role]) => ({ role, pinModels: [model] })) },
    store: { kind: 'memory' },
  });
  gateway = await startGateway({ config, port: 0 });
});
afterAll(async () => {
  await gateway?.close();
  await Promise.all(nodes.map((n) => n.stop()));
});

const makers: Record<string, () => BrokeChatModel> = {
  'in-process': () => new BrokeChatModel({ inProcess: { config }, maxTokens: 64 }),
  remote: () => new BrokeChatModel({ gateway: { url: gateway.url }, maxTokens: 64 }),
};

describe.each(Object.keys(makers))('examples/langchain (%s)', (mode) => {
  it('draft → review: one model, each step routed by its role, feedback recorded', async () => {
    const model = makers[mode]?.() as BrokeChatModel;
    const { result, records } = await runDraftReview(model, 'routing');
    expect(result.draft).toBe('Draft: BROKE routes each agent by role.');
    expect(result.review).toBe('Review: approved, ship it.');
    expect(result.routes.drafter).toMatchObject({ nodeId: 'n-lc-draft', mode });
    expect(result.routes.reviewer).toMatchObject({ nodeId: 'n-lc-review', mode });
    expect(result.routes.drafter.explanation?.context).toMatchObject({
      role: 'drafter',
      team: 'writers',
      taskType: 'creative',
    });
    expect(records.map((r) => [r.modelId, r.success, r.feedbackError])).toEqual([
      ['lc-draft', true, undefined],
      ['lc-review', true, undefined],
    ]);
  });

  it('agent loop: planner calls the tool, writer answers from its result', async () => {
    const model = makers[mode]?.() as BrokeChatModel;
    const run = await runWeatherAgent(model, 'Weather in Paris?');
    expect(run.answer).toBe('It is sunny in Paris today.');
    expect(run.steps.map((s) => [s.role, s.route.modelId])).toEqual([
      ['planner', 'tool-call'],
      ['writer', 'lc-answer'],
    ]);
    const tool = run.messages.find((m) => m instanceof ToolMessage);
    expect(tool?.content).toBe('Sunny and 21°C in Paris.');
    // Depth follows the conversation: the writer saw one assistant turn before it.
    expect(run.steps[1]?.route.explanation?.context?.conversationDepth).toBe(1);
  });

  it("createAgent from 'langchain' accepts the model", async () => {
    const agent = weatherCreateAgent(makers[mode]?.() as BrokeChatModel);
    const out = await agent.invoke(
      { messages: [{ role: 'user', content: 'Weather in Paris?' }] },
      { metadata: { role: 'planner' } },
    );
    const last = out.messages.at(-1);
    expect(last).toBeInstanceOf(ToolMessage);
    expect(last?.content).toBe('Sunny and 21°C in Paris.');
    const ai = out.messages.find((m) => m.type === 'ai');
    expect(ai && routeOf(ai)?.nodeId).toBe('n-tool-call');
  });
});
