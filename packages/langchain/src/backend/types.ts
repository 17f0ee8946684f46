import type { AgentContext, ChatChunk, ChatCompletion, Feedback, RouteExplanation } from '@broke/core';
import type OpenAI from 'openai';

/** An OpenAI chat body as BROKE takes it: `model` is optional (routing picks), streaming is the backend's call. */
export type BrokeChatBody = Omit<
  OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
  'model' | 'stream' | 'stream_options' | 'metadata'
> & { model?: string };

export interface BackendCall {
  body: BrokeChatBody;
  context: AgentContext;
  signal?: AbortSignal;
}

/** Where a call was routed; node and model are known once a node answered. */
export interface RouteRef {
  routeId: string;
  nodeId: string | undefined;
  modelId: string | undefined;
}

export interface BackendCompletion {
  route: RouteRef;
  completion: ChatCompletion;
}

export interface BackendStream {
  route: RouteRef;
  /** Chunks as the node sends them; the last carries `usage`. Breaking out aborts the node call. */
  chunks: AsyncIterable<ChatChunk>;
}

/**
 * The one seam between BrokeChatModel and a cluster: in-process (core's Router and drivers) or
 * remote (a BROKE gateway over HTTP). The chat model never knows which it talks to, so both
 * modes share every behaviour and every test.
 */
export interface BrokeBackend {
  readonly mode: 'in-process' | 'remote';
  /**
   * What routes this backend's calls (the gateway URL, a digest of the cluster config): equal for
   * backends that answer alike, different otherwise. Part of BrokeChatModel's LangChain cache
   * key; a backend without one gets a key of its own, never shared with another backend.
   */
  readonly cacheIdentity?: string;
  complete(call: BackendCall): Promise<BackendCompletion>;
  /** Resolves once a node produced its first chunk (failover happens before that, never after). */
  stream(call: BackendCall): Promise<BackendStream>;
  feedback(routeId: string, feedback: Feedback): Promise<void>;
  explain(routeId: string): Promise<RouteExplanation | undefined>;
}
