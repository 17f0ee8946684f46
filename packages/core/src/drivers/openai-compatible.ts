import OpenAI from 'openai';
import type { NodeConfig } from '../config/schema.js';
import { NodeError } from '../errors.js';
import { httpGet } from './http.js';
import { DEFAULT_STOP_TOKENS, StopTokenCleaner } from './stop-tokens.js';
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
} from './types.js';

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
  }

  /** Config model id → the name this server expects in `model`. */
  resolveModel(model: string): string {
    const entry = this.node.models?.find((m) => m.id === model);
    return entry?.servedName ?? entry?.id ?? model;
  }

  protected cleaner(model: string): StopTokenCleaner | undefined {
    if (this.options.cleanOutput === false) return undefined;
    return new StopTokenCleaner([
      ...DEFAULT_STOP_TOKENS,
      ...(this.options.stopTokens ?? []),
      ...(this.modelStops.get(model) ?? []),
    ]);
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
    for (const choice of completion.choices) {
      const cleaner = this.cleaner(request.model);
      const content = choice.message?.content;
      if (!cleaner || typeof content !== 'string') continue;
      const text = cleaner.push(content) + cleaner.flush();
      choice.message.content = text;
      if (cleaner.stopped) choice.finish_reason = 'stop';
    }
    return completion;
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
    const cleaners = new Map<number, StopTokenCleaner | undefined>();
    const finished = new Set<number>();
    let last: ChatChunk | undefined;
    try {
      for await (const chunk of stream) {
        last = chunk;
        let stopAll = false;
        for (const choice of chunk.choices) {
          if (!cleaners.has(choice.index)) cleaners.set(choice.index, this.cleaner(request.model));
          const cleaner = cleaners.get(choice.index);
          if (!cleaner) continue;
          if (finished.has(choice.index)) {
            choice.delta = {};
            continue;
          }
          const content = choice.delta?.content;
          let text = typeof content === 'string' ? cleaner.push(content) : undefined;
          if (cleaner.stopped) {
            choice.finish_reason = 'stop';
            finished.add(choice.index);
          } else if (choice.finish_reason) {
            text = (text ?? '') + cleaner.flush();
            finished.add(choice.index);
          }
          if (text !== undefined) choice.delta = { ...choice.delta, content: text };
          if (cleaner.stopped && chunk.choices.length === 1) stopAll = true;
        }
        yield chunk;
        // The rest is leaked tail: stop the server generating it (breaking aborts the request).
        if (stopAll) return;
      }
    } catch (err) {
      throw this.wrap(err, 'chat stream');
    }
    // Stream ended without a finish_reason on some choice: release what was held back.
    for (const [index, cleaner] of cleaners) {
      const rest = cleaner?.flush();
      if (rest && last && !finished.has(index))
        yield {
          ...last,
          choices: [{ index, delta: { content: rest }, finish_reason: null, logprobs: null }],
        };
    }
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

function requestOptions(options: CallOptions): { signal?: AbortSignal; timeout?: number } {
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  };
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (cause as { code?: string } | undefined)?.code;
    return code ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
