import { ModelNotFoundError, RouteNotFoundError } from '@broke/core';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import {
  AIMessage,
  type AIMessageChunk,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { tool } from '@langchain/core/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BrokeAbortError,
  type BrokeChatModel,
  BrokeFeedbackHandler,
  type BrokeRouteMetadata,
} from '../src/index.js';
import { MODES, type ModeHarness, startCluster, startMode, type TestCluster } from './harness.js';

// Modelled on LangChain's standard chat-model integration tests, run against real mlx_lm.server
// nodes in both modes. Scripted models make outputs exact; a role rule pins each role to a node.
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster([
    { model: 'hello', role: 'greeter', capabilities: ['streaming'] },
    { model: 'tool-call', role: 'weather', capabilities: ['tools', 'streaming'] },
    { model: 'lc-verdict', role: 'judge', capabilities: ['tools', 'streaming'] },
    { model: 'json', role: 'json-judge', capabilities: ['json', 'streaming'] },
    { model: 'tiny', role: 'rambler', capabilities: ['streaming'] },
  ]);
});
afterAll(async () => {
  await cluster?.stop();
});

const getWeather = tool(async ({ city }) => `It is sunny in ${city}.`, {
  name: 'get_weather',
  description: 'Current weather for a city',
  schema: z.object({ city: z.string() }),
});

const Verdict = z.object({ answer: z.number(), confidence: z.number() }).describe('A scored answer');

/** BrokeAbortError, or LangChain's own AbortError when the signal fires between two chunks. */
function isAbort(err: unknown): boolean {
  return err instanceof BrokeAbortError || (err as Error)?.name === 'AbortError';
}

function brokeOf(message: { response_metadata: Record<string, unknown> }): BrokeRouteMetadata {
  return message.response_metadata.broke as BrokeRouteMetadata;
}

describe.each(MODES)('BrokeChatModel conformance (%s)', (mode) => {
  let h: ModeHarness;
  let model: BrokeChatModel;
  beforeAll(async () => {
    h = await startMode(mode, cluster);
    model = h.model({ role: 'greeter', team: 'conformance' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('invoke: text, usage_metadata and the route in response_metadata', async () => {
    const res = await model.invoke('Who are you?');
    expect(res).toBeInstanceOf(AIMessage);
    expect(res.content).toBe('Hello from BROKE!');
    expect(res.usage_metadata?.output_tokens).toBeGreaterThan(0);
    expect(res.usage_metadata?.input_tokens).toBeGreaterThan(0);
    expect(res.usage_metadata?.total_tokens).toBe(
      (res.usage_metadata?.input_tokens ?? 0) + (res.usage_metadata?.output_tokens ?? 0),
    );
    const route = brokeOf(res);
    expect(route.routeId).toMatch(/\S/);
    expect(route).toMatchObject({ nodeId: 'n-hello', modelId: 'hello', mode });
    expect(route.reasons.length).toBeGreaterThan(0);
    expect(route.explanation?.context).toMatchObject({
      role: 'greeter',
      team: 'conformance',
      framework: 'langchain',
    });
    expect(res.response_metadata.finish_reason).toBe('stop');
  });

  it('stream: real token streaming, then usage and route on the aggregate', async () => {
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await model.stream('Who are you?')) chunks.push(chunk);
    const texts = chunks.map((c) => c.text).filter((t) => t !== '');
    expect(texts.length).toBeGreaterThanOrEqual(4); // one chunk per scripted segment
    expect(texts.join('')).toBe('Hello from BROKE!');
    const full = chunks.reduce((a, b) => a.concat(b));
    expect(full.usage_metadata?.output_tokens).toBeGreaterThan(0);
    expect(brokeOf(full)).toMatchObject({ nodeId: 'n-hello', modelId: 'hello', mode });
    expect(full.response_metadata.finish_reason).toBe('stop');
  });

  it('batch: several inputs, each routed by its own call options', async () => {
    const out = await model.batch(['a', 'b', 'c'], [{}, { role: 'weather' }, {}], { maxConcurrency: 2 });
    expect(out.map((m) => m.content)).toEqual(['Hello from BROKE!', '', 'Hello from BROKE!']);
    expect(out[1]?.tool_calls?.[0]?.name).toBe('get_weather');
    expect(out.map((m) => brokeOf(m).nodeId)).toEqual(['n-hello', 'n-tool-call', 'n-hello']);
  });

  it('abort: an already-aborted signal, a signal fired mid-stream, and a timeout', async () => {
    const rambler = h.model({ role: 'rambler', maxTokens: 3000 });
    const pre = new AbortController();
    pre.abort();
    const early = await rambler.invoke('go', { signal: pre.signal }).catch((e: unknown) => e);
    expect(isAbort(early)).toBe(true);

    const mid = new AbortController();
    const t0 = Date.now();
    let seen = 0;
    const streamed = await (async () => {
      for await (const _ of await rambler.stream('go', { signal: mid.signal })) {
        seen += 1;
        if (seen === 2) mid.abort();
      }
    })().catch((e: unknown) => e);
    expect(isAbort(streamed)).toBe(true);
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(Date.now() - t0).toBeLessThan(20_000);

    // A timeout while the node is still generating: typed, and marked as a timeout.
    const timed = await rambler.invoke('go', { timeout: 300 }).catch((e: unknown) => e);
    expect(timed).toBeInstanceOf(BrokeAbortError);
    expect((timed as BrokeAbortError).timedOut).toBe(true);
    // The node is still fine afterwards.
    expect((await model.invoke('again')).content).toBe('Hello from BROKE!');
  });

  it('abort before routing is a typed BrokeAbortError', async () => {
    const pre = new AbortController();
    pre.abort();
    const err = await model
      ._generate([new HumanMessage('x')], { signal: pre.signal } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokeAbortError);
  });

  it('message types: system, human, AI with tool calls, and tool messages reach the node', async () => {
    const history = [
      new SystemMessage('You are terse.'),
      new HumanMessage('Weather in Paris?'),
      new AIMessage({
        content: '',
        tool_calls: [{ id: 'call_1', name: 'get_weather', args: { city: 'Paris' } }],
      }),
      new ToolMessage({ content: 'Sunny, 21C', tool_call_id: 'call_1' }),
      new HumanMessage('Thanks! And you?'),
    ];
    const res = await model.invoke(history);
    expect(res.content).toBe('Hello from BROKE!');
    const ctx = brokeOf(res).explanation?.context;
    expect(ctx?.conversationDepth).toBe(1);
    expect(ctx?.sessionId).toMatch(/^lc-/);
    // Same opening, later turn: same session (affinity keeps the conversation on its node).
    const again = await model.invoke([...history, res, new HumanMessage('Bye')]);
    expect(brokeOf(again).explanation?.context).toMatchObject({
      sessionId: ctx?.sessionId,
      conversationDepth: 2,
    });
  });

  it('bindTools: tool_calls on invoke, tool_call_chunks while streaming', async () => {
    const withTools = model.bindTools([getWeather]);
    const res = await withTools.invoke('Weather in Paris?', { role: 'weather' });
    expect(res.tool_calls).toHaveLength(1);
    expect(res.tool_calls?.[0]).toMatchObject({
      name: 'get_weather',
      args: { city: 'Paris' },
      type: 'tool_call',
    });
    expect(res.tool_calls?.[0]?.id).toBeTruthy();
    expect(res.response_metadata.finish_reason).toBe('tool_calls');

    let full: AIMessageChunk | undefined;
    let sawChunk = false;
    for await (const chunk of await withTools.stream('Weather in Paris?', { role: 'weather' })) {
      if ((chunk.tool_call_chunks ?? []).length > 0) sawChunk = true;
      full = full ? full.concat(chunk) : chunk;
    }
    expect(sawChunk).toBe(true);
    expect(full?.tool_calls?.[0]).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } });

    // A tool result sent back is a well-formed conversation for the node.
    const call = res.tool_calls?.[0];
    if (!call) throw new Error('no tool call');
    const result = await getWeather.invoke(call);
    expect(result).toBeInstanceOf(ToolMessage);
    const next = await model.invoke([new HumanMessage('Weather in Paris?'), res, result]);
    expect(next.content).toBe('Hello from BROKE!');
  });

  it('withStructuredOutput: zod via tool calling, JSON schema, JSON mode, auto fallback, includeRaw', async () => {
    const viaTools = model.withStructuredOutput(Verdict, { name: 'Verdict', method: 'functionCalling' });
    expect(await viaTools.invoke('Rate it', { role: 'judge' } as never)).toEqual({
      answer: 42,
      confidence: 0.9,
    });

    const judge = h.model({ role: 'judge' });
    const auto = judge.withStructuredOutput(Verdict, { name: 'Verdict' });
    expect(await auto.invoke('Rate it')).toEqual({ answer: 42, confidence: 0.9 });

    const jsonSchema = {
      title: 'Verdict',
      type: 'object',
      properties: { answer: { type: 'number' }, confidence: { type: 'number' } },
      required: ['answer', 'confidence'],
    };
    expect(await judge.withStructuredOutput(jsonSchema).invoke('Rate it')).toEqual({
      answer: 42,
      confidence: 0.9,
    });

    const jsonJudge = h.model({ role: 'json-judge' });
    const jsonMode = jsonJudge.withStructuredOutput(Verdict, { method: 'jsonMode' });
    expect(await jsonMode.invoke('Rate it')).toEqual({ answer: 42, confidence: 0.9 });
    const jsonSchemaMode = jsonJudge.withStructuredOutput(Verdict, { method: 'jsonSchema', name: 'Verdict' });
    expect(await jsonSchemaMode.invoke('Rate it')).toEqual({ answer: 42, confidence: 0.9 });
    // auto: the json-judge role has no tools-capable model, so the router refuses tools: JSON mode.
    expect(await jsonJudge.withStructuredOutput(Verdict, { name: 'Verdict' }).invoke('Rate it')).toEqual({
      answer: 42,
      confidence: 0.9,
    });

    const raw = await judge
      .withStructuredOutput(Verdict, { name: 'Verdict', includeRaw: true })
      .invoke('Rate it');
    expect(raw.parsed).toEqual({ answer: 42, confidence: 0.9 });
    expect(brokeOf(raw.raw as AIMessage).modelId).toBe('lc-verdict');
  });

  it('context: constructor defaults < RunnableConfig.metadata < call options, per chain step', async () => {
    const prompt = ChatPromptTemplate.fromMessages([['human', '{question}']]);
    const viaMetadata = await prompt
      .pipe(model.bindTools([getWeather]))
      .invoke({ question: 'Weather?' }, { metadata: { role: 'weather', team: 'ops' } });
    expect(brokeOf(viaMetadata)).toMatchObject({ nodeId: 'n-tool-call' });
    expect(brokeOf(viaMetadata).explanation?.context).toMatchObject({ role: 'weather', team: 'ops' });

    // Call options beat metadata; broke_-prefixed metadata beats plain keys.
    const viaCall = await model.invoke('hi', { metadata: { role: 'weather' }, role: 'greeter' } as never);
    expect(brokeOf(viaCall).nodeId).toBe('n-hello');
    const prefixed = await model.invoke('hi', { metadata: { role: 'greeter', broke_role: 'weather' } });
    expect(brokeOf(prefixed).nodeId).toBe('n-tool-call');
    // Metadata BROKE cannot use is ignored (it is shared with other tools); call options are checked.
    const odd = await model.invoke('hi', { metadata: { taskType: 'not-a-task' } });
    expect(odd.content).toBe('Hello from BROKE!');
    await expect(model.invoke('hi', { taskType: 'nope' as never })).rejects.toThrow(/taskType/);
  });

  it('callbacks: start/token/end events with run metadata, and the feedback handler', async () => {
    const events: string[] = [];
    let tokens = 0;
    let seenMetadata: Record<string, unknown> | undefined;
    const spy = BaseCallbackHandler.fromMethods({
      handleChatModelStart(_llm, _msgs, _runId, _parent, _extra, _tags, metadata) {
        events.push('start');
        seenMetadata = metadata;
      },
      handleLLMNewToken() {
        tokens += 1;
      },
      handleLLMEnd() {
        events.push('end');
      },
    });
    const feedback = new BrokeFeedbackHandler(model);
    for await (const _ of await model.stream('hi', {
      callbacks: [spy, feedback],
      metadata: { step: 'greet' },
    })) {
      // drain
    }
    expect(events).toEqual(['start', 'end']);
    expect(tokens).toBeGreaterThanOrEqual(4);
    expect(seenMetadata).toMatchObject({ step: 'greet', ls_provider: 'broke' });

    const res = await model.invoke('hi', { callbacks: [feedback] });
    await feedback.flush();
    expect(feedback.records).toHaveLength(2);
    for (const record of feedback.records) {
      expect(record).toMatchObject({ success: true, nodeId: 'n-hello', feedback: { success: true } });
      expect(record.latencyMs).toBeGreaterThan(0);
      expect(record.feedbackError).toBeUndefined();
    }
    expect(feedback.records[1]?.routeId).toBe(brokeOf(res).routeId);

    // An error is recorded; a later step rejecting the answer is blamed on its route.
    await expect(
      model.invoke('hi', { callbacks: [feedback], model: 'no-such-model' }),
    ).rejects.toBeInstanceOf(ModelNotFoundError);
    expect(feedback.records[2]).toMatchObject({ success: false });
    const strict = model.withStructuredOutput(z.object({ answer: z.string() }), { name: 'Verdict' });
    await expect(
      strict.invoke('Rate it', { callbacks: [feedback], role: 'judge' } as never),
    ).rejects.toThrow();
    await feedback.flush();
    const blamed = feedback.records[3];
    expect(blamed).toMatchObject({ success: false, modelId: 'lc-verdict', feedback: { success: false } });
    expect(blamed?.feedbackError).toBeUndefined();
  });

  it('feedback: by route id, with a typed error for unknown routes', async () => {
    const res = await model.invoke('hi');
    await model.feedback(brokeOf(res).routeId, 0.8);
    await model.feedback(brokeOf(res).routeId, { thumbs: 'up' });
    await expect(model.feedback('r-does-not-exist', 0.5)).rejects.toBeInstanceOf(RouteNotFoundError);
  });
});
