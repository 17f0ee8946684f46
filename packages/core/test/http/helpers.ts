import { randomUUID } from 'node:crypto';
import {
  type AgentContext,
  type BrokeConfigInput,
  BrokeConfigSchema,
  BrokeError,
  type Candidate,
  type ChatChunk,
  type ChatCompletion,
  type ChatRequest,
  type ChatStreamRequest,
  ClusterState,
  type Feedback,
  type FeedbackTarget,
  type ModelConfig,
  type NodeDriver,
  type Outcome,
  type RouteDecision,
  type RouteExplanation,
  type RouteRequest,
  type RouterLike,
} from '../../src/index.js';

export function testConfig(overrides: Partial<BrokeConfigInput> = {}) {
  return BrokeConfigSchema.parse({
    nodes: [
      {
        id: 'a',
        url: 'http://127.0.0.1:9',
        models: [{ id: 'm1', servedName: 'served-m1' }],
        maxConcurrency: 2,
      },
      {
        id: 'b',
        url: 'http://127.0.0.1:9',
        models: [{ id: 'm1', servedName: 'served-m1-b' }],
        maxConcurrency: 2,
      },
    ],
    models: [{ id: 'm1', capabilities: ['streaming', 'tools', 'json'], family: 'llama' }],
    store: { kind: 'memory' },
    ...overrides,
  });
}

/** A router that always ranks nodes in config order; enough to test the gateway's plumbing. */
export class StubRouter implements RouterLike {
  readonly outcomes: Array<{ routeId: string; outcome: Outcome }> = [];
  readonly feedbacks: Array<{ routeId: string; feedback: Feedback }> = [];
  readonly explanations = new Map<string, RouteExplanation>();
  constructor(
    private readonly nodes: Array<{ id: string; models: Array<{ id: string; servedName?: string }> }>,
    private readonly models: ModelConfig[],
  ) {}

  route(req: RouteRequest, ctx: AgentContext = {}): RouteDecision {
    const model = req.model ?? 'broke-auto';
    const virtual = model.startsWith('broke-');
    if (!virtual && !this.models.some((m) => m.id === model)) {
      throw new BrokeError('model_not_found', `The model '${model}' does not exist`, { status: 404 });
    }
    const candidates: Candidate[] = this.nodes.flatMap((n) =>
      n.models
        .filter((m) => virtual || m.id === model)
        .map((m) => ({ nodeId: n.id, modelId: m.id, servedName: m.servedName ?? m.id })),
    );
    const [chosen, ...fallbacks] = candidates;
    if (!chosen) throw new BrokeError('no_route', 'no candidates', { status: 503 });
    const routeId = `r_${randomUUID()}`;
    const explanation: RouteExplanation = {
      routeId,
      at: new Date().toISOString(),
      context: ctx,
      analysis: { complexity: 0, taskType: 'chat', promptTokens: 0 },
      profile: 'balanced',
      objective: {
        latencyWeight: 0.03,
        description: 'test double',
        expectedOutputTokens: 256,
        typicalMs: 1000,
      },
      candidates: candidates.length,
      filters: [],
      ranked: [],
      chosen,
      explored: false,
      attempts: [],
      summary: `chose ${chosen.nodeId}`,
    };
    this.explanations.set(routeId, explanation);
    return { ...chosen, routeId, fallbacks, explanation };
  }
  async recordOutcome(routeId: string, outcome: Outcome) {
    this.outcomes.push({ routeId, outcome });
  }
  async feedback(routeId: string, feedback: Feedback) {
    if (!this.explanations.has(routeId))
      throw new BrokeError('route_not_found', 'unknown route', { status: 404 });
    this.feedbacks.push({ routeId, feedback });
  }
  async rate(target: FeedbackTarget, feedback: Feedback) {
    if (!('routeId' in target)) throw new BrokeError('routes_not_found', 'no selection', { status: 404 });
    await this.feedback(target.routeId, feedback);
    return [target.routeId];
  }
  listRoutes() {
    return { data: [] };
  }
  explain(routeId: string) {
    return this.explanations.get(routeId);
  }
  noteAttempt(routeId: string, attempt: { nodeId: string; modelId: string; ok: boolean; error?: string }) {
    this.explanations.get(routeId)?.attempts.push(attempt);
  }
  listModels() {
    return {
      virtual: ['broke-auto', 'broke-quality', 'broke-balanced', 'broke-latency'],
      concrete: this.models,
    };
  }
}

export type StubMode =
  | {
      kind: 'ok';
      chunks?: string[];
      delayMs?: number;
      firstDelayMs?: number;
      usage?: boolean;
      /** Each chunk's text as a tool call's arguments instead of content. */
      toolCalls?: boolean;
    }
  | { kind: 'fail'; error?: unknown }
  | { kind: 'failMid'; after: number }
  | { kind: 'hang' };

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    });
  });

/** A node driver with scripted behaviour that records what it was sent and whether it was aborted. */
export class StubDriver implements NodeDriver {
  readonly kind = 'stub';
  readonly observes = { loadedModels: false, queueDepth: false, memory: false, metrics: false };
  readonly requests: Array<Record<string, unknown>> = [];
  readonly signals: AbortSignal[] = [];
  mode: StubMode;
  constructor(
    readonly nodeId: string,
    mode: StubMode = { kind: 'ok' },
  ) {
    this.mode = mode;
  }
  async health() {
    return { ok: true, latencyMs: 0 };
  }
  async listModels() {
    return [];
  }
  async metrics() {
    return {};
  }
  private async before(req: ChatRequest | ChatStreamRequest, signal?: AbortSignal) {
    this.requests.push(req as unknown as Record<string, unknown>);
    if (signal) this.signals.push(signal);
    const m = this.mode;
    if (m.kind === 'fail')
      throw m.error ?? Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    if (m.kind === 'hang') await sleep(1e9, signal);
    if (m.kind === 'ok' && m.firstDelayMs) await sleep(m.firstDelayMs, signal);
  }
  async chat(req: ChatRequest, options: { signal?: AbortSignal } = {}): Promise<ChatCompletion> {
    await this.before(req, options.signal);
    const text = this.mode.kind === 'ok' ? (this.mode.chunks ?? ['hello']).join('') : '';
    return {
      id: 'cmpl-1',
      object: 'chat.completion',
      created: 1,
      model: String(req.model),
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          logprobs: null,
          message: { role: 'assistant', content: text, refusal: null },
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    };
  }
  async *chatStream(
    req: ChatStreamRequest,
    options: { signal?: AbortSignal } = {},
  ): AsyncIterable<ChatChunk> {
    await this.before(req, options.signal);
    const m = this.mode;
    const chunks = m.kind === 'ok' ? (m.chunks ?? ['hel', 'lo']) : ['a', 'b', 'c', 'd', 'e', 'f'];
    let i = 0;
    for (const text of chunks) {
      if (m.kind === 'failMid' && i === m.after) throw new Error('socket hang up');
      if (m.kind === 'ok' && m.delayMs && i > 0) await sleep(m.delayMs, options.signal);
      if (options.signal?.aborted) throw new Error('aborted');
      const delta =
        m.kind === 'ok' && m.toolCalls
          ? { tool_calls: [{ index: 0, type: 'function' as const, function: { arguments: text } }] }
          : { content: text };
      yield chunk(String(req.model), delta, null);
      i++;
    }
    yield chunk(String(req.model), {}, 'stop');
    if (m.kind !== 'ok' || m.usage !== false) {
      yield {
        ...chunk(String(req.model), {}, null),
        choices: [],
        usage: { prompt_tokens: 3, completion_tokens: chunks.length, total_tokens: 3 + chunks.length },
      };
    }
  }
  /** The gateway's pass-through forms: the same answers as JSON text, one payload per batch. */
  async chatRaw(req: ChatRequest, options: { signal?: AbortSignal } = {}): Promise<string> {
    return JSON.stringify(await this.chat(req, options));
  }
  async *chatStreamRaw(
    req: ChatStreamRequest,
    options: { signal?: AbortSignal } = {},
  ): AsyncIterable<string[]> {
    for await (const c of this.chatStream(req, options)) yield [JSON.stringify(c)];
  }
}

function chunk(
  model: string,
  delta: ChatChunk['choices'][number]['delta'],
  finish: 'stop' | null,
): ChatChunk {
  return {
    id: 'chunk-1',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  };
}

export function setup(overrides: Partial<BrokeConfigInput> = {}) {
  const config = testConfig(overrides);
  const router = new StubRouter(config.nodes, config.models);
  const cluster = new ClusterState(config.nodes);
  const drivers = new Map(config.nodes.map((n) => [n.id, new StubDriver(n.id)]));
  return { config, router, cluster, drivers };
}

/** Parse an SSE body into data payloads. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6));
}

export const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: 'broke-auto',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 8,
    ...extra,
  });

// biome-ignore lint/suspicious/noExplicitAny: tests read response JSON loosely
export type Json = any;
export const readJson = async (res: Response | Promise<Response>): Promise<Json> => (await res).json();

/** The value, or a test failure saying it was missing. */
export function must<T>(value: T | undefined | null, what = 'value'): T {
  if (value === undefined || value === null) throw new Error(`missing ${what}`);
  return value;
}
