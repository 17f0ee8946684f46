import type { ChatChunk, ChatCompletion, ChatRequest, ChatStreamRequest } from './chat.js';

/**
 * The contract between BROKE and a model server, kept apart from the drivers that implement it
 * (drivers/, one file per server kind) as the Vercel AI SDK keeps its provider spec apart from its
 * providers: the gateway, LangChain in-process, the monitor and the CLI program against these
 * types only.
 */

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * The same abort as `signal`, cheaper to watch: the gateway passes both on every call, and
   * building an AbortSignal and its listeners costs ~3 µs per request, so `signal` is made only
   * when a driver reads it. Drivers may use either.
   */
  abort?: AbortHandle;
  timeoutMs?: number;
  /** Extra request headers for this call (the gateway's W3C `traceparent` when tracing). */
  headers?: Readonly<Record<string, string>>;
}

/** A call's abort, watched without an AbortSignal (see CallOptions.abort). */
export interface AbortHandle {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `listener` once when the call is aborted (never if it already was); returns what unhooks it. */
  onAbort(listener: () => void): () => void;
}

/** What a driver can see on its backend; the router only trusts what is observable. */
export interface DriverObservability {
  loadedModels: boolean;
  queueDepth: boolean;
  memory: boolean;
  metrics: boolean;
}

export interface NodeHealth {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface NodeMetrics {
  loadedModels?: string[];
  queued?: number;
  running?: number;
  /** usedGb: memory held by loaded models (e.g. Ollama /api/ps size_vram). */
  memory?: { totalGb?: number; freeGb?: number; usedGb?: number };
  /** Requests the backend serves at once now, for elastic backends (Ray Serve: replicas × max_ongoing_requests). */
  capacity?: number;
  /** Fraction (0–1) of the KV cache in use (vLLM); reported, not yet used by routing. */
  kvCacheUsage?: number;
}

/** Watching a node: is it up, what can it serve, how loaded is it (the monitor's view). */
export interface NodeProbe {
  readonly kind: string;
  readonly nodeId: string;
  readonly observes: DriverObservability;
  health(options?: CallOptions): Promise<NodeHealth>;
  /** Models the server can serve (its /v1/models or equivalent). */
  listModels(options?: CallOptions): Promise<string[]>;
  /** Live metrics, as far as this backend exposes them. */
  metrics(options?: CallOptions): Promise<NodeMetrics>;
}

/**
 * Inference on a node. The gateway relays the raw forms: `chatStreamRaw` yields the node's SSE
 * `data:` payloads as JSON text (batched per network read, `[DONE]` not included) and `chatRaw`
 * the completion's JSON text, both cleaned like the parsed forms (leaked stop tokens cut). The
 * parsed forms are for callers that want objects (validation probes, benchmarks, bridges).
 */
export interface NodeInference {
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatCompletion>;
  chatStream(request: ChatStreamRequest, options?: CallOptions): AsyncIterable<ChatChunk>;
  chatRaw(request: ChatRequest, options?: CallOptions): Promise<string>;
  chatStreamRaw(request: ChatStreamRequest, options?: CallOptions): AsyncIterable<string[]>;
}

/**
 * What `chatStreamRaw`'s iterator may also offer: `ready()`, the next result when it is already
 * here (a node's whole answer often arrives in one read), undefined when `next()` would have to
 * wait. The relay takes what is ready in the same turn, so such an answer leaves in one write
 * without a promise turn per step; an iterator without it is read with `next()` alone.
 */
export interface ReadyIterator<T> extends AsyncIterator<T> {
  ready?(): IteratorResult<T> | undefined;
}

/** A node driver: probe and inference (drivers/openai-compatible.ts implements both for every kind). */
export interface NodeDriver extends NodeProbe, NodeInference {}
