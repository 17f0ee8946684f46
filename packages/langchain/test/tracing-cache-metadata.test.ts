import type { RouteSummary } from '@broke/core';
import { InMemoryCache } from '@langchain/core/caches';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type BrokeBackend,
  BrokeChatModel,
  type BrokeResponseMetadata,
  type BrokeRouteMetadata,
  type InProcessBackend,
} from '../src/index.js';
import { MODES, type ModeHarness, startCluster, startMode, type TestCluster } from './harness.js';

// LangSmith parameters, LangChain's cache and the route in response_metadata, against real
// mlx_lm.server nodes in both modes (role rules pin greeter → hello, json-judge → json, judge → lc-verdict).
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster([
    { model: 'hello', role: 'greeter', capabilities: ['streaming'] },
    { model: 'json', role: 'json-judge', capabilities: ['json', 'streaming'] },
    { model: 'lc-verdict', role: 'judge', capabilities: ['tools', 'streaming'] },
  ]);
});
afterAll(async () => {
  await cluster?.stop();
});

const Verdict = z.object({ answer: z.number(), confidence: z.number() }).describe('A scored answer');

/** What handleChatModelStart saw: run metadata (ls_* params) and extra params (options, invocation_params). */
interface Start {
  metadata: Record<string, unknown> | undefined;
  extra: { options?: Record<string, unknown>; invocation_params?: Record<string, unknown> } | undefined;
}

/** Records chat model starts and cached ends; awaited in line so counts are final when invoke returns. */
class Recorder extends BaseCallbackHandler {
  name = 'Recorder';
  readonly starts: Start[] = [];
  cached = 0;
  constructor() {
    super({ _awaitHandler: true });
  }
  override handleChatModelStart(
    _llm: unknown,
    _msgs: unknown,
    _runId: string,
    _parent?: string,
    extra?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    this.starts.push({ metadata, extra: extra as Start['extra'] });
  }
  override handleLLMEnd(
    _output: unknown,
    _runId: string,
    _parent?: string,
    _tags?: string[],
    extra?: Record<string, unknown>,
  ): void {
    if (extra?.cached) this.cached += 1;
  }
}

function recorder() {
  const handler = new Recorder();
  return { handler, starts: handler.starts, cachedEnds: () => handler.cached };
}

function metadataOf(message: { response_metadata: Record<string, unknown> }): BrokeResponseMetadata {
  return message.response_metadata as unknown as BrokeResponseMetadata;
}

describe('cache keys (no calls)', () => {
  const backend = { mode: 'remote' } as BrokeBackend;
  const key = (model: BrokeChatModel, options: Record<string, unknown> = {}) =>
    model._getSerializedCacheKeyParametersForCall(options as never);

  it('differ for every field that changes the answer; equal for equal models', () => {
    const base = { backend, role: 'greeter' } as const;
    const reference = key(new BrokeChatModel(base));
    expect(key(new BrokeChatModel(base))).toBe(reference);
    for (const change of [
      { model: 'hello' },
      { temperature: 0.5 },
      { maxTokens: 10 },
      { topP: 0.9 },
      { stop: ['END'] },
      { role: 'judge' },
      { team: 'ops' },
      { taskType: 'code' as const },
      { sessionId: 's1' },
      { explainRoutes: false },
    ]) {
      expect(key(new BrokeChatModel({ ...base, ...change })), JSON.stringify(change)).not.toBe(reference);
    }
    // Another backend object is another cluster unless it says otherwise.
    expect(key(new BrokeChatModel({ ...base, backend: { mode: 'remote' } as BrokeBackend }))).not.toBe(
      reference,
    );
  });

  it('differ by gateway URL and credentials, and by in-process cluster config', () => {
    const at = (url: string, apiKey?: string) =>
      key(new BrokeChatModel({ gateway: { url, ...(apiKey ? { apiKey } : {}) } }));
    expect(at('http://127.0.0.1:1/')).toBe(at('http://127.0.0.1:1'));
    expect(at('http://127.0.0.1:1')).not.toBe(at('http://127.0.0.1:2'));
    expect(at('http://127.0.0.1:1', 'k1')).not.toBe(at('http://127.0.0.1:1', 'k2'));
    expect(at('http://127.0.0.1:1', 'secret-key')).not.toContain('secret-key');
    const config = (url: string) => ({
      nodes: [{ id: 'n', url, kind: 'mlx' as const, models: [{ id: 'm' }] }],
      models: [{ id: 'm' }],
    });
    const inProcess = (url: string) => key(new BrokeChatModel({ inProcess: { config: config(url) } }));
    expect(inProcess('http://127.0.0.1:1')).toBe(inProcess('http://127.0.0.1:1'));
    expect(inProcess('http://127.0.0.1:1')).not.toBe(inProcess('http://127.0.0.1:2'));
  });

  it('include the context read from RunnableConfig.metadata', () => {
    const model = new BrokeChatModel({ backend });
    // What BaseChatModel does with a call's options before it computes the key.
    const parse = (options: Record<string, unknown>) =>
      (
        model as unknown as { _separateRunnableConfigFromCallOptionsCompat(o: unknown): [unknown, unknown] }
      )._separateRunnableConfigFromCallOptionsCompat(options)[1] as Record<string, unknown>;
    const a = parse({ metadata: { role: 'greeter' } });
    const b = parse({ metadata: { role: 'judge' } });
    const c = parse({ metadata: { step: 'x' } });
    expect(key(model, a)).not.toBe(key(model, b));
    expect(key(model, c)).toBe(key(model, {}));
  });
});

describe('LangSmith params (no calls)', () => {
  it('ls_stop is the constructor stop unless the call gives one; temperature and max tokens likewise', () => {
    const model = new BrokeChatModel({ backend: {} as BrokeBackend, stop: ['END'], temperature: 0.2 });
    expect(model.getLsParams({} as never)).toMatchObject({ ls_stop: ['END'], ls_temperature: 0.2 });
    expect(model.getLsParams({ stop: ['STOP'], temperature: 0.7 } as never)).toMatchObject({
      ls_stop: ['STOP'],
      ls_temperature: 0.7,
    });
    expect(new BrokeChatModel({ backend: {} as BrokeBackend }).getLsParams({} as never)).not.toHaveProperty(
      'ls_stop',
    );
  });

  it('ls_structured_output_format is never sent to a node', () => {
    const model = new BrokeChatModel({ backend: {} as BrokeBackend });
    const params = model.invocationParams({
      ls_structured_output_format: { kwargs: { method: 'json_mode' }, schema: {} },
    } as never);
    expect(params).not.toHaveProperty('ls_structured_output_format');
  });
});

describe.each(MODES)('tracing, cache and route metadata (%s)', (mode) => {
  let h: ModeHarness;
  beforeAll(async () => {
    h = await startMode(mode, cluster);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** The route as the cluster lists it: GET /v1/routes (remote), the router's log (in-process). */
  async function listed(routeId: string): Promise<Record<string, unknown> | undefined> {
    if (h.gateway) {
      const res = await fetch(`${h.gateway.url}/v1/routes?limit=100`);
      const body = (await res.json()) as { data: Array<Record<string, unknown>> };
      return body.data.find((r) => r.id === routeId);
    }
    const router = (h.backend as InProcessBackend).router;
    const r = router.listRoutes({ limit: 100 }).data.find((x: RouteSummary) => x.id === routeId);
    return (
      r && {
        id: r.id,
        node: r.nodeId,
        model: r.modelId,
        role: r.role,
        session: r.sessionId,
        task_type: r.taskType,
      }
    );
  }

  it('ls_stop carries the constructor stop (call option wins) in the run metadata', async () => {
    const { handler, starts } = recorder();
    const model = h.model({ role: 'greeter', stop: ['NEVER-SEEN'] });
    expect((await model.invoke('hi', { callbacks: [handler] })).content).toBe('Hello from BROKE!');
    for await (const _ of await model.stream('hi', { callbacks: [handler] })) {
      // drain
    }
    await model.invoke('hi', { callbacks: [handler], stop: ['OTHER'] });
    expect(starts.map((s) => s.metadata?.ls_stop)).toEqual([['NEVER-SEEN'], ['NEVER-SEEN'], ['OTHER']]);
    expect(starts[0]?.extra?.invocation_params).toMatchObject({ stop: ['NEVER-SEEN'] });
  });

  it('withStructuredOutput passes ls_structured_output_format to the callbacks for each method', async () => {
    const { handler, starts } = recorder();
    const judge = h.model({ role: 'judge' });
    const jsonJudge = h.model({ role: 'json-judge' });
    const expected = { answer: 42, confidence: 0.9 };
    expect(
      await judge
        .withStructuredOutput(Verdict, { name: 'Verdict', method: 'functionCalling' })
        .invoke('Rate it', { callbacks: [handler] }),
    ).toEqual(expected);
    expect(
      await judge
        .withStructuredOutput(Verdict, { name: 'Verdict' })
        .invoke('Rate it', { callbacks: [handler] }),
    ).toEqual(expected);
    expect(
      await jsonJudge
        .withStructuredOutput(Verdict, { name: 'Verdict', method: 'jsonMode' })
        .invoke('Rate it', { callbacks: [handler] }),
    ).toEqual(expected);
    expect(
      await jsonJudge
        .withStructuredOutput(Verdict, { name: 'Verdict', method: 'jsonSchema' })
        .invoke('Rate it', { callbacks: [handler] }),
    ).toEqual(expected);
    // auto on a role without a tools model: the tool binding is refused, JSON mode answers.
    expect(
      await jsonJudge
        .withStructuredOutput(Verdict, { name: 'Verdict' })
        .invoke('Rate it', { callbacks: [handler] }),
    ).toEqual(expected);

    const formats = starts.map(
      (s) => s.extra?.options?.ls_structured_output_format as Record<string, unknown>,
    );
    expect(formats.map((f) => (f?.kwargs as { method?: string })?.method)).toEqual([
      'function_calling',
      'function_calling',
      'json_mode',
      'json_schema',
      'function_calling', // the refused tool call (router answered no_route)...
      'json_mode', // ...then the JSON mode call that answered
    ]);
    for (const f of formats) {
      expect(f.schema).toMatchObject({
        title: 'Verdict',
        type: 'object',
        properties: { answer: { type: 'number' }, confidence: { type: 'number' } },
      });
    }
    // The invocation params tracers record carry it too.
    expect(starts[0]?.extra?.invocation_params?.ls_structured_output_format).toEqual(formats[0]);
  });

  it("cache: differently pinned models never answer from each other's entries; the same model hits", async () => {
    const cache = new InMemoryCache();
    const { handler, cachedEnds } = recorder();
    const greeter = h.model({ role: 'greeter', cache });
    const jsonJudge = h.model({ role: 'json-judge', cache });
    const first = await greeter.invoke('Same prompt', { callbacks: [handler] });
    expect(first.content).toBe('Hello from BROKE!');
    const other = await jsonJudge.invoke('Same prompt', { callbacks: [handler] });
    expect(other.content).toBe('{"answer": 42, "confidence": 0.9}');
    expect(metadataOf(other).broke.node).toBe('n-json');
    expect(cachedEnds()).toBe(0);

    // Pinned by model id rather than by role.
    const pinnedHello = h.model({ model: 'hello', cache });
    const pinnedJson = h.model({ model: 'json', cache });
    expect((await pinnedHello.invoke('Pinned prompt')).content).toBe('Hello from BROKE!');
    expect((await pinnedJson.invoke('Pinned prompt')).content).toBe('{"answer": 42, "confidence": 0.9}');

    // Role from RunnableConfig.metadata, one model for both.
    const plain = h.model({ cache });
    expect((await plain.invoke('Meta prompt', { metadata: { role: 'greeter' } })).content).toBe(
      'Hello from BROKE!',
    );
    expect((await plain.invoke('Meta prompt', { metadata: { role: 'json-judge' } })).content).toBe(
      '{"answer": 42, "confidence": 0.9}',
    );

    // The same model, same prompt: a cache hit (the same route, no new call).
    const again = await greeter.invoke('Same prompt', { callbacks: [handler] });
    expect(cachedEnds()).toBe(1);
    expect(again.content).toBe('Hello from BROKE!');
    expect(metadataOf(again).broke.route_id).toBe(metadataOf(first).broke.route_id);
    // An equal model (another instance, same configuration) shares the entry.
    await h.model({ role: 'greeter', cache }).invoke('Same prompt', { callbacks: [handler] });
    expect(cachedEnds()).toBe(2);
  });

  function expectRoute(message: AIMessage | AIMessageChunk, sent: { role: string; session?: RegExp }) {
    const meta = metadataOf(message);
    const broke = meta.broke as BrokeRouteMetadata;
    expect(broke.route_id).toMatch(/\S/);
    expect(message.id).toBe(broke.route_id);
    expect(meta.id).toBe(broke.route_id);
    expect(meta).toMatchObject({ model_provider: 'broke', model: 'hello', model_name: 'hello' });
    expect(broke).toMatchObject({
      node: 'n-hello',
      model: 'hello',
      role: sent.role,
      team: 'metadata',
      depth: 0,
      explored: false,
      // The fields this package always had are still there.
      routeId: broke.route_id,
      nodeId: 'n-hello',
      modelId: 'hello',
      mode,
    });
    expect(broke.session).toMatch(sent.session ?? /^lc-/);
    expect(broke.task_type).toBe(broke.explanation?.analysis.taskType);
    expect(typeof broke.task_type).toBe('string');
    const chosen = broke.explanation?.ranked.find(
      (c) => c.nodeId === broke.explanation?.chosen.nodeId && c.modelId === broke.explanation?.chosen.modelId,
    );
    expect(chosen).toBeDefined();
    expect(broke.predicted_quality).toBe(chosen?.quality);
    expect(broke.predicted_ms).toBe(Math.round(chosen?.timeMs ?? Number.NaN));
    expect(broke.predicted_quality).toBeGreaterThanOrEqual(0);
    expect(broke.predicted_quality).toBeLessThanOrEqual(1);
    expect(broke.reasons.length).toBeGreaterThan(0);
    return broke;
  }

  it('response_metadata: route id as message id, model, and the route as GET /v1/routes lists it (invoke)', async () => {
    const model = h.model({ role: 'greeter', team: 'metadata' });
    const res = await model.invoke('Who are you?');
    const broke = expectRoute(res, { role: 'greeter' });
    const entry = await listed(broke.route_id);
    expect(entry).toMatchObject({
      id: broke.route_id,
      node: broke.node,
      model: broke.model,
      role: broke.role,
      session: broke.session,
      task_type: broke.task_type,
    });
  });

  it('response_metadata: the same on a streamed answer (every chunk carries the route id)', async () => {
    const model = h.model({ role: 'greeter', team: 'metadata' });
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await model.stream('Who are you?', { sessionId: 'sess-1' })) chunks.push(chunk);
    const full = chunks.reduce((a, b) => a.concat(b));
    const broke = expectRoute(full, { role: 'greeter', session: /^sess-1$/ });
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set([broke.route_id]));
    const entry = await listed(broke.route_id);
    expect(entry).toMatchObject({ id: broke.route_id, node: 'n-hello', session: 'sess-1' });
  });

  it('response_metadata without explanations: context fields from the call, predictions null', async () => {
    const model = h.model({ role: 'greeter', team: 'metadata', explainRoutes: false });
    for (const message of [
      await model.invoke('Who are you?'),
      (await model.stream('Who are you?').then(async (s) => {
        let full: AIMessageChunk | undefined;
        for await (const c of s) full = full ? full.concat(c) : c;
        return full;
      })) as AIMessageChunk,
    ]) {
      const broke = metadataOf(message).broke;
      expect(message.id).toBe(broke.route_id);
      expect(broke).toMatchObject({
        node: 'n-hello',
        model: 'hello',
        role: 'greeter',
        team: 'metadata',
        predicted_quality: null,
        predicted_ms: null,
        explored: null,
        reasons: [],
      });
      expect(broke.explanation).toBeUndefined();
      expect(broke.session).toMatch(/^lc-/);
    }
  });
});
