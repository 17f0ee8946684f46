import type OpenAI from 'openai';

/** Chat messages and request bodies are OpenAI's; BROKE passes them through unchanged. */
export type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
export type ChatRequest = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
export type ChatStreamRequest = OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming;
export type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion;
export type ChatChunk = OpenAI.Chat.Completions.ChatCompletionChunk;

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

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Extra request headers for this call (the gateway's W3C `traceparent` when tracing). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * The small interface every backend implements (mlx_lm.server, mlx-knife, Ollama, llama.cpp,
 * vLLM, any OpenAI-compatible server). Inference goes through the `openai` SDK.
 */
export interface NodeDriver {
  readonly kind: string;
  readonly nodeId: string;
  readonly observes: DriverObservability;
  health(options?: CallOptions): Promise<NodeHealth>;
  /** Models the server can serve (its /v1/models or equivalent). */
  listModels(options?: CallOptions): Promise<string[]>;
  /** Live metrics, as far as this backend exposes them. */
  metrics(options?: CallOptions): Promise<NodeMetrics>;
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatCompletion>;
  chatStream(request: ChatStreamRequest, options?: CallOptions): AsyncIterable<ChatChunk>;
  /**
   * Optional pass-through form of `chatStream` for proxies: the node's SSE `data:` payloads as
   * JSON text (batched per network read, `[DONE]` not included), cleaned like `chatStream`'s
   * chunks. Callers that get no such method use `chatStream`.
   */
  chatStreamRaw?(request: ChatStreamRequest, options?: CallOptions): AsyncIterable<string[]>;
  /**
   * Optional pass-through form of `chat` for proxies: the completion as the node's JSON text,
   * cleaned like `chat`'s. Callers that get no such method use `chat`.
   */
  chatRaw?(request: ChatRequest, options?: CallOptions): Promise<string>;
}
