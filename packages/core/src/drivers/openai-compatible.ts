import OpenAI from 'openai';
import type { NodeConfig } from '../config/schema.js';
import { NodeError, ValidationError } from '../errors.js';
import type {
  CallOptions,
  ChatChunk,
  ChatCompletion,
  ChatRequest,
  ChatStreamRequest,
  DriverObservability,
  NodeDriver,
  NodeHealth,
  NodeMetrics,
} from '../spec/index.js';
import { callAbort } from './call-abort.js';
import { ChunkCleaner } from './chunk-cleaner.js';
import { httpGet } from './http.js';
import { RawChatStream } from './raw-chat-stream.js';
import { DEFAULT_STOP_TOKENS, StopTokenCleaner } from './stop-tokens.js';
import { StopTriggers } from './stop-triggers.js';
import { UpstreamPool } from './upstream-pool.js';
import { type PostOptions, postJson, readJsonBody } from './upstream-post.js';

export interface DriverOptions {
  /** Extra stop tokens for every model on this node (the defaults always apply). */
  stopTokens?: readonly string[];
  /** Turn output cleaning off (e.g. to see raw server output). */
  cleanOutput?: boolean;
}

export type DriverNode = Pick<NodeConfig, 'id' | 'url' | 'kind'> &
  Partial<Omit<NodeConfig, 'id' | 'url' | 'kind'>>;

/**
 * Generic OpenAI-compatible server. Inference goes through the `openai` SDK; backends override
 * `healthPath`, `resolveModel` and `metrics` to say what else they can observe.
 */
export class OpenAICompatibleDriver implements NodeDriver {
  readonly kind: string = 'openai';
  readonly observes: DriverObservability = {
    loadedModels: false,
    queueDepth: false,
    memory: false,
    metrics: false,
  };
  protected readonly baseUrl: string;
  protected readonly client: OpenAI;
  private readonly modelStops = new Map<string, string[]>();
  private pool: UpstreamPool | undefined;
  private chatUrl: URL | undefined;
  /** The raw stream's request headers: the same for every request to this node. */
  private rawHeaders: Record<string, string> | undefined;

  constructor(
    protected readonly node: DriverNode,
    protected readonly options: DriverOptions = {},
  ) {
    this.baseUrl = node.url.replace(/\/+$/, '');
    this.client = new OpenAI({
      baseURL: `${this.baseUrl}/v1`,
      apiKey: node.apiKey ?? 'broke-no-key',
      timeout: node.requestTimeoutMs ?? 120_000,
      maxRetries: 0,
    });
  }

  get nodeId(): string {
    return this.node.id;
  }

  /** Path answering 2xx when the server is ready. */
  protected healthPath = '/v1/models';

  protected headers(): Record<string, string> {
    return this.node.apiKey ? { authorization: `Bearer ${this.node.apiKey}` } : {};
  }

  async health(options: CallOptions = {}): Promise<NodeHealth> {
    const start = performance.now();
    try {
      const res = await httpGet(this.baseUrl + this.healthPath, { ...options, headers: this.headers() });
      const latencyMs = performance.now() - start;
      if (res.status >= 200 && res.status < 300) return { ok: true, latencyMs };
      return { ok: false, latencyMs, error: `health answered ${res.status}` };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - start, error: errorText(err) };
    }
  }

  async listModels(options: CallOptions = {}): Promise<string[]> {
    try {
      const page = await this.client.models.list(requestOptions(options));
      return page.data.map((m) => m.id);
    } catch (err) {
      throw this.wrap(err, 'listing models');
    }
  }

  async metrics(_options: CallOptions = {}): Promise<NodeMetrics> {
    return {};
  }

  /** Stop tokens learnt for a model (e.g. from its tokenizer_config.json via scan-models). */
  setStopTokens(model: string, tokens: readonly string[]): void {
    this.modelStops.set(model, [...tokens]);
    this.triggers.delete(model);
  }

  private readonly triggers = new Map<string, StopTriggers | 'always' | undefined>();

  /** The triggers of the model's stop tokens (stop-triggers.ts), made once per model. */
  private stopTriggersFor(model: string): StopTriggers | 'always' | undefined {
    if (!this.triggers.has(model)) {
      const tokens = this.stopTokens(model);
      this.triggers.set(model, tokens ? StopTriggers.of(tokens) : undefined);
    }
    return this.triggers.get(model);
  }

  /** Config model id → the name this server expects in `model`. */
  resolveModel(model: string): string {
    const entry = this.node.models?.find((m) => m.id === model);
    return entry?.servedName ?? entry?.id ?? model;
  }

  /** The stop tokens cleaned out of `model`'s output; undefined when cleaning is off. */
  protected stopTokens(model: string): string[] | undefined {
    if (this.options.cleanOutput === false) return undefined;
    return [
      ...DEFAULT_STOP_TOKENS,
      ...(this.options.stopTokens ?? []),
      ...(this.modelStops.get(model) ?? []),
    ];
  }

  protected cleaner(model: string): StopTokenCleaner | undefined {
    const tokens = this.stopTokens(model);
    return tokens ? new StopTokenCleaner(tokens) : undefined;
  }

  async chat(request: ChatRequest, options: CallOptions = {}): Promise<ChatCompletion> {
    let completion: ChatCompletion;
    try {
      completion = await this.client.chat.completions.create(
        { ...request, model: this.resolveModel(request.model), stream: false },
        requestOptions(options),
      );
    } catch (err) {
      throw this.wrap(err, 'chat completion');
    }
    this.clean(completion, request.model);
    return completion;
  }

  /** Cuts leaked stop tokens out of a completion's messages, in place. */
  private clean(completion: ChatCompletion, model: string): void {
    for (const choice of completion.choices ?? []) {
      const cleaner = this.cleaner(model);
      const content = choice.message?.content;
      if (!cleaner || typeof content !== 'string') continue;
      const text = cleaner.push(content) + cleaner.flush();
      choice.message.content = text;
      if (cleaner.stopped) choice.finish_reason = 'stop';
    }
  }

  /**
   * The non-streaming hot path for pass-through callers (the gateway): the node's completion as
   * JSON text, over the same keep-alive pool as `chatStreamRaw`, with the same errors and
   * stop-token cleaning as `chat`; parsed only when a stop token may need cutting.
   */
  async chatRaw(request: ChatRequest, options: CallOptions = {}): Promise<string> {
    const body = requestJson(withModel(request, this.resolveModel(request.model), false));
    let text: string;
    try {
      const res = await postJson(this.chatEndpoint(), body, this.rawPost(options));
      text = await readJsonBody(res);
    } catch (err) {
      throw this.wrap(err, 'chat completion');
    }
    const triggers = this.stopTriggersFor(request.model);
    if (!triggers || (triggers !== 'always' && !triggers.test(text))) return text;
    let completion: ChatCompletion;
    try {
      completion = JSON.parse(text) as ChatCompletion;
    } catch (err) {
      throw this.wrap(err, 'chat completion (the node answered with invalid JSON)');
    }
    this.clean(completion, request.model);
    return JSON.stringify(completion);
  }

  private chatEndpoint(): URL {
    this.chatUrl ??= new URL(`${this.baseUrl}/v1/chat/completions`);
    return this.chatUrl;
  }

  /** Options for a raw POST to this node: its keep-alive pool, its headers, the call's limits. */
  private rawPost(options: CallOptions): PostOptions {
    this.pool ??= new UpstreamPool(this.baseUrl);
    this.rawHeaders ??= {
      accept: 'text/event-stream, application/json',
      authorization: `Bearer ${this.node.apiKey ?? 'broke-no-key'}`,
    };
    return {
      pool: this.pool,
      headers: options.headers ? { ...this.rawHeaders, ...options.headers } : this.rawHeaders,
      abort: callAbort(options),
      timeoutMs: options.timeoutMs ?? this.node.requestTimeoutMs ?? 120_000,
    };
  }

  async *chatStream(request: ChatStreamRequest, options: CallOptions = {}): AsyncIterable<ChatChunk> {
    let stream: AsyncIterable<ChatChunk> & { controller?: AbortController };
    try {
      stream = await this.client.chat.completions.create(
        { ...request, model: this.resolveModel(request.model), stream: true },
        requestOptions(options),
      );
    } catch (err) {
      throw this.wrap(err, 'chat stream');
    }
    const cleaner = new ChunkCleaner(() => this.cleaner(request.model));
    let last: ChatChunk | undefined;
    try {
      for await (const chunk of stream) {
        last = chunk;
        const stopAll = cleaner.apply(chunk);
        yield chunk;
        // The rest is leaked tail: stop the server generating it (breaking aborts the request).
        if (stopAll) return;
      }
    } catch (err) {
      throw this.wrap(err, 'chat stream');
    }
    // Stream ended without a finish_reason on some choice: release what was held back.
    yield* cleaner.tail(last);
  }

  /**
   * The streaming hot path for pass-through callers (the gateway): the node's SSE `data:`
   * payloads as JSON text, batched per network read, without parsing or re-serialising each
   * chunk. Same request, errors and stop-token cleaning as `chatStream`: payloads are parsed and
   * cleaned only from the first one that could hold (part of) a stop token. Ends before `[DONE]`.
   * Over a keep-alive connection pool of its own (one per driver, i.e. per node).
   */
  chatStreamRaw(request: ChatStreamRequest, options: CallOptions = {}): AsyncIterable<string[]> {
    const body = requestJson(withModel(request, this.resolveModel(request.model), true));
    const post = this.rawPost(options);
    const triggers = this.stopTriggersFor(request.model);
    let cleaner: ChunkCleaner | undefined;
    let last: ChatChunk | undefined;
    return new RawChatStream({
      open: () => postJson(this.chatEndpoint(), body, post),
      wrap: (err) => this.wrap(err, 'chat stream'),
      abort: post.abort,
      transform: (batch) => {
        if (triggers && !cleaner && (triggers === 'always' || batch.some((p) => triggers.test(p)))) {
          cleaner = new ChunkCleaner(() => this.cleaner(request.model));
        }
        if (!cleaner) return undefined;
        // Slow path from here on: parse, clean, re-serialise.
        const out: string[] = [];
        let stop = false;
        for (const payload of batch) {
          const chunk = JSON.parse(payload) as ChatChunk;
          last = chunk;
          stop = cleaner.apply(chunk);
          out.push(JSON.stringify(chunk));
          if (stop) break;
        }
        return { out, stop };
      },
      tail: () => (cleaner?.tail(last) ?? []).map((c) => JSON.stringify(c)),
    });
  }

  protected wrap(err: unknown, what: string): NodeError {
    if (err instanceof NodeError) return err;
    const status = (err as { status?: number }).status;
    const aborted = err instanceof Error && /abort|timed? ?out/i.test(`${err.name} ${err.message}`);
    return new NodeError(this.node.id, `${what} on node ${this.node.id} failed: ${errorText(err)}`, {
      cause: err,
      code: aborted ? 'node_timeout' : status ? 'node_http_error' : 'node_unreachable',
      status: status && status >= 400 && status < 500 ? status : 502,
      hint: status ? undefined : `is the server at ${this.baseUrl} running?`,
    });
  }
}

/**
 * The request as the node gets it: its served model name and the stream flag. The gateway's body
 * (serving/upstream-body.ts) already has both, and is sent as it is instead of copied again.
 */
function withModel<R extends { model: string; stream?: boolean | null }>(
  request: R,
  model: string,
  stream: boolean,
): R {
  return request.model === model && request.stream === stream ? request : { ...request, model, stream };
}

/**
 * The request as JSON. A body the gateway itself cannot serialise (nested thousands deep) is the
 * client's fault: a 400, never mistaken for an unreachable node.
 */
function requestJson(request: object): string {
  try {
    return JSON.stringify(request);
  } catch (err) {
    throw new ValidationError(`the request cannot be sent to a node: ${errorText(err)}`, {
      hint: 'nest JSON values less deeply',
    });
  }
}

function requestOptions(options: CallOptions): {
  signal?: AbortSignal;
  timeout?: number;
  headers?: Record<string, string>;
} {
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    ...(options.headers ? { headers: { ...options.headers } } : {}),
  };
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (cause as { code?: string } | undefined)?.code;
    // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, "bad port", a TLS error).
    const why = code ?? (cause instanceof Error ? cause.message : undefined);
    return why ? `${err.message} (${why})` : err.message;
  }
  return String(err);
}
