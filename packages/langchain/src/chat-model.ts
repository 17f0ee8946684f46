import { randomUUID } from 'node:crypto';
import type { AgentContext, Feedback, RouteExplanation } from '@broke/core';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import type {
  BaseLanguageModelInput,
  StructuredOutputMethodOptions,
} from '@langchain/core/language_models/base';
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
  type BindToolsInput,
  type LangSmithParams,
} from '@langchain/core/language_models/chat_models';
import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { ChatGenerationChunk, ChatResult } from '@langchain/core/outputs';
import type { Runnable, RunnableConfig } from '@langchain/core/runnables';
import type { SerializableSchema } from '@langchain/core/utils/standard_schema';
import type { ZodV3Like, ZodV4Like } from '@langchain/core/utils/types';
import type OpenAI from 'openai';
import { InProcessBackend, type InProcessOptions, inProcessIdentity } from './backend/in-process.js';
import { RemoteBackend, type RemoteOptions, remoteIdentity } from './backend/remote.js';
import type { BackendCall, BrokeBackend, BrokeChatBody, RouteRef } from './backend/types.js';
import {
  type BrokeContextFields,
  contextFromFields,
  contextFromMetadata,
  resolveContext,
} from './context.js';
import { abortErrorFor, BrokeAbortError } from './errors.js';
import { toOpenAIMessages } from './messages.js';
import { routeChunk, toChatResult, toGenerationChunk } from './response.js';
import { type BrokeRouteMetadata, buildRouteMetadata } from './route-metadata.js';
import {
  type BrokeStructuredMethod,
  type LsStructuredOutputFormat,
  structuredOutput,
} from './structured-output.js';
import { type OpenAITool, toOpenAIToolChoice, toOpenAITools } from './tools.js';

/** Per-call options: LangChain's, plus the agent context this one call routes by. */
export interface BrokeChatModelCallOptions extends BaseChatModelCallOptions, BrokeContextFields {
  /** Tools in OpenAI format (bindTools converts LangChain tools to these). */
  tools?: OpenAITool[];
  response_format?:
    | OpenAI.ResponseFormatJSONObject
    | OpenAI.ResponseFormatJSONSchema
    | OpenAI.ResponseFormatText;
  /** `broke-auto` (default), a profile (`broke-quality`, `broke-latency`...) or a model id to pin. */
  model?: string;
  maxTokens?: number;
  temperature?: number;
}

export interface BrokeChatModelFields extends BaseChatModelParams, BrokeContextFields {
  /** Remote mode: a BROKE gateway. */
  gateway?: RemoteOptions;
  /** In-process mode: core's Router and drivers in this process. */
  inProcess?: InProcessOptions;
  /** Any other backend (tests, custom transports). Exactly one of gateway / inProcess / backend. */
  backend?: BrokeBackend;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  stop?: string[];
  /** Attach the router's explanation (reasons) to response_metadata.broke. Default true. */
  explainRoutes?: boolean;
}

export interface BrokeStructuredOutputOptions<IncludeRaw extends boolean = false>
  extends StructuredOutputMethodOptions<IncludeRaw> {
  method?: BrokeStructuredMethod;
}

/** Whatever a backend threw once the caller's signal fired, the caller gets a BrokeAbortError. */
function typedAbort(err: unknown, signal: AbortSignal | undefined): unknown {
  if (!signal?.aborted || err instanceof BrokeAbortError) return err;
  return abortErrorFor(signal, (err as { routeId?: string })?.routeId);
}

/** Backends without a `cacheIdentity` each get one of their own: never shared, never reused. */
const anonymousBackends = new WeakMap<BrokeBackend, string>();
function identityOf(backend: BrokeBackend): string {
  if (backend.cacheIdentity) return backend.cacheIdentity;
  let id = anonymousBackends.get(backend);
  if (!id) {
    id = `${backend.mode}:${randomUUID()}`;
    anonymousBackends.set(backend, id);
  }
  return id;
}

/** Where RunnableConfig.metadata rides along inside the parsed call options (see below). */
const RUN_METADATA = Symbol('broke.runMetadata');
type ParsedWithMetadata = { [RUN_METADATA]?: Record<string, unknown> };

/**
 * A LangChain chat model whose every call is routed by BROKE to a node and model chosen for the
 * calling agent's role, team and task. One instance can serve a whole chain: each step passes
 * its own role (call options or RunnableConfig.metadata) and is routed on its own.
 */
export class BrokeChatModel extends BaseChatModel<BrokeChatModelCallOptions, AIMessageChunk> {
  static override lc_name(): string {
    return 'BrokeChatModel';
  }

  model: string;
  temperature: number | undefined;
  maxTokens: number | undefined;
  topP: number | undefined;
  stop: string[] | undefined;
  explainRoutes: boolean;
  /** Context every call starts from (constructor fields). */
  readonly defaults: AgentContext;
  private readonly makeBackend: () => Promise<BrokeBackend>;
  /** Which cluster answers (gateway URL, config digest): part of the LangChain cache key. */
  private readonly backendIdentity: () => string;
  private backendPromise: Promise<BrokeBackend> | undefined;
  readonly mode: 'in-process' | 'remote' | 'custom';

  constructor(fields: BrokeChatModelFields) {
    super(fields);
    const given = [fields.gateway, fields.inProcess, fields.backend].filter((x) => x !== undefined).length;
    if (given !== 1)
      throw new TypeError('BrokeChatModel needs exactly one of `gateway`, `inProcess` or `backend`');
    this.model = fields.model ?? 'broke-auto';
    this.temperature = fields.temperature;
    this.maxTokens = fields.maxTokens;
    this.topP = fields.topP;
    this.stop = fields.stop;
    this.explainRoutes = fields.explainRoutes ?? true;
    this.defaults = contextFromFields(fields, 'BrokeChatModel fields');
    const { gateway, inProcess, backend } = fields;
    if (backend) {
      this.mode = backend.mode === 'remote' || backend.mode === 'in-process' ? backend.mode : 'custom';
      this.makeBackend = async () => backend;
      this.backendIdentity = () => identityOf(backend);
    } else if (gateway) {
      this.mode = 'remote';
      this.makeBackend = async () => new RemoteBackend(gateway);
      const identity = remoteIdentity(gateway);
      this.backendIdentity = () => identity;
    } else {
      this.mode = 'in-process';
      // The router loads its store asynchronously; the first call waits for it, later calls don't.
      this.makeBackend = () => InProcessBackend.create(inProcess as InProcessOptions);
      let identity: string | undefined;
      this.backendIdentity = () => {
        identity ??= inProcessIdentity((inProcess as InProcessOptions).config);
        return identity;
      };
    }
  }

  override get callKeys(): string[] {
    return [
      ...super.callKeys,
      'tools',
      'tool_choice',
      'response_format',
      'model',
      'maxTokens',
      'temperature',
      'role',
      'team',
      'taskType',
      'sessionId',
      'priorScores',
      'context',
    ];
  }

  _llmType(): string {
    return 'broke';
  }

  /** What LangSmith records of a call: the values sent (call options over constructor fields). */
  override getLsParams(options: this['ParsedCallOptions']): LangSmithParams {
    const temperature = options?.temperature ?? this.temperature;
    const maxTokens = options?.maxTokens ?? this.maxTokens;
    const stop = options?.stop ?? this.stop;
    return {
      ls_provider: 'broke',
      ls_model_name: options?.model ?? this.model,
      ls_model_type: 'chat',
      ...(temperature !== undefined ? { ls_temperature: temperature } : {}),
      ...(maxTokens !== undefined ? { ls_max_tokens: maxTokens } : {}),
      ...(stop ? { ls_stop: stop } : {}),
    };
  }

  /**
   * Everything about this model that changes its answers, for LangChain's cache key (which adds
   * the call options on top): the request parameters, the cluster it routes over and the agent
   * context it routes by. Two models that differ in any of these never share cache entries.
   */
  override _identifyingParams(): Record<string, unknown> {
    return {
      ...this.invocationParams(),
      broke_backend: this.backendIdentity(),
      broke_context: this.defaults,
      broke_explain_routes: this.explainRoutes,
    };
  }

  /** LangChain's key, plus the context read from RunnableConfig.metadata (not a call option there). */
  override _getSerializedCacheKeyParametersForCall(
    options: this['ParsedCallOptions'] & { config?: RunnableConfig },
  ): string {
    const fromMetadata = contextFromMetadata((options as ParsedWithMetadata)[RUN_METADATA]);
    return super._getSerializedCacheKeyParametersForCall({
      ...options,
      ...(Object.keys(fromMetadata).length > 0 ? { broke_metadata_context: fromMetadata } : {}),
    });
  }

  /** Tracing also sees the structured output format (a call option no node is sent). */
  protected override _getInvocationParamsForTracing(
    options?: this['ParsedCallOptions'],
  ): ReturnType<this['invocationParams']> {
    const params = super._getInvocationParamsForTracing(options);
    const format = options?.ls_structured_output_format;
    return (format ? { ...params, ls_structured_output_format: format } : params) as ReturnType<
      this['invocationParams']
    >;
  }

  // A schema is no run metadata: keep it out of what tracers pass down to child runs.
  // biome-ignore lint/suspicious/noExplicitAny: mirrors BaseLanguageModel's signature
  protected override _filterInvocationParamsForTracing(params: Record<string, any>): Record<string, any> {
    const { ls_structured_output_format: _format, ...rest } = params;
    return super._filterInvocationParamsForTracing(rest);
  }

  /** The backend, created on first use (in-process mode builds the Router then). */
  backend(): Promise<BrokeBackend> {
    this.backendPromise ??= this.makeBackend().catch((err) => {
      this.backendPromise = undefined; // let a later call retry
      throw err;
    });
    return this.backendPromise;
  }

  // RunnableConfig.metadata never reaches _generate; keep it on the parsed options so each call
  // can route by the metadata of the chain step it runs in.
  protected override _separateRunnableConfigFromCallOptionsCompat(
    options?: Partial<BrokeChatModelCallOptions>,
  ): [RunnableConfig, this['ParsedCallOptions']] {
    const [config, callOptions] = super._separateRunnableConfigFromCallOptionsCompat(options);
    (callOptions as ParsedWithMetadata)[RUN_METADATA] = config.metadata;
    return [config, callOptions];
  }

  /** The agent context one call routes by (exposed for tests and debugging). */
  contextFor(messages: BaseMessage[], options: Partial<this['ParsedCallOptions']> = {}): AgentContext {
    return resolveContext(
      {
        defaults: this.defaults,
        metadata: contextFromMetadata((options as ParsedWithMetadata)[RUN_METADATA]),
        call: contextFromFields(options, 'BROKE call options'),
      },
      messages,
    );
  }

  override invocationParams(options?: this['ParsedCallOptions']): Omit<BrokeChatBody, 'messages'> {
    const toolChoice = toOpenAIToolChoice(options?.tool_choice);
    const maxTokens = options?.maxTokens ?? this.maxTokens;
    const temperature = options?.temperature ?? this.temperature;
    const stop = options?.stop ?? this.stop;
    return {
      model: options?.model ?? this.model,
      ...(temperature !== undefined ? { temperature } : {}),
      ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
      ...(this.topP !== undefined ? { top_p: this.topP } : {}),
      ...(stop && stop.length > 0 ? { stop } : {}),
      ...(options?.tools && options.tools.length > 0 ? { tools: options.tools } : {}),
      ...(toolChoice !== undefined && options?.tools?.length ? { tool_choice: toolChoice } : {}),
      ...(options?.response_format ? { response_format: options.response_format } : {}),
    };
  }

  private prepare(messages: BaseMessage[], options: this['ParsedCallOptions']): BackendCall {
    const signal = options.signal;
    if (signal?.aborted) throw abortErrorFor(signal);
    return {
      body: { ...this.invocationParams(options), messages: toOpenAIMessages(messages) },
      context: this.contextFor(messages, options),
      ...(signal ? { signal } : {}),
    };
  }

  private async routeMetadata(
    backend: BrokeBackend,
    route: RouteRef,
    context: AgentContext,
  ): Promise<BrokeRouteMetadata> {
    let explanation: RouteExplanation | undefined;
    if (this.explainRoutes && route.routeId) {
      try {
        explanation = await backend.explain(route.routeId);
      } catch {
        // The answer is already here; a missing explanation must not turn it into an error.
      }
    }
    return buildRouteMetadata(route, backend.mode, context, explanation);
  }

  async _generate(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const call = this.prepare(messages, options);
    const backend = await this.backend();
    try {
      const { completion, route } = await backend.complete(call);
      return toChatResult(completion, await this.routeMetadata(backend, route, call.context));
    } catch (err) {
      throw typedAbort(err, options.signal);
    }
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const call = this.prepare(messages, options);
    const backend = await this.backend();
    let route: RouteRef;
    let id: string | undefined;
    let model: string | undefined;
    try {
      const stream = await backend.stream(call);
      route = stream.route;
      for await (const chunk of stream.chunks) {
        // Every chunk carries the route id (the gateway's chunk id; in-process, the node's is replaced).
        id ??= route.routeId || chunk.id;
        model ??= chunk.model;
        const generation = toGenerationChunk(chunk, id);
        if (!generation) continue;
        yield generation;
        await runManager?.handleLLMNewToken(generation.text, undefined, undefined, undefined, undefined, {
          chunk: generation,
        });
      }
    } catch (err) {
      throw typedAbort(err, options.signal);
    }
    yield routeChunk(await this.routeMetadata(backend, route, call.context), id ?? route.routeId, model);
  }

  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<BrokeChatModelCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, BrokeChatModelCallOptions> {
    return this.withConfig({ ...(kwargs ?? {}), tools: toOpenAITools(tools) });
  }

  /** JSON mode for one binding (what withStructuredOutput's jsonMode / jsonSchema use). */
  withResponseFormat(
    format: NonNullable<BrokeChatModelCallOptions['response_format']>,
    lsFormat?: LsStructuredOutputFormat,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, BrokeChatModelCallOptions> {
    return this.withConfig({
      response_format: format,
      ...(lsFormat ? { ls_structured_output_format: lsFormat } : {}),
    });
  }

  /** Tell the router how good a routed answer was (0..1, or success / thumbs). */
  async feedback(routeId: string, feedback: number | Feedback): Promise<void> {
    const backend = await this.backend();
    await backend.feedback(routeId, typeof feedback === 'number' ? { score: feedback } : feedback);
  }

  // biome-ignore lint/suspicious/noExplicitAny: mirrors BaseChatModel's overloads
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: SerializableSchema<RunOutput>,
    config?: BrokeStructuredOutputOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  // biome-ignore lint/suspicious/noExplicitAny: mirrors BaseChatModel's overloads
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: SerializableSchema<RunOutput>,
    config?: BrokeStructuredOutputOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  // biome-ignore lint/suspicious/noExplicitAny: mirrors BaseChatModel's overloads
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    // biome-ignore lint/suspicious/noExplicitAny: JSON schema objects
    outputSchema: ZodV4Like<RunOutput> | Record<string, any>,
    config?: BrokeStructuredOutputOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  // biome-ignore lint/suspicious/noExplicitAny: mirrors BaseChatModel's overloads
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    // biome-ignore lint/suspicious/noExplicitAny: JSON schema objects
    outputSchema: ZodV4Like<RunOutput> | Record<string, any>,
    config?: BrokeStructuredOutputOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  // biome-ignore lint/suspicious/noExplicitAny: mirrors BaseChatModel's overloads
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    // biome-ignore lint/suspicious/noExplicitAny: JSON schema objects
    outputSchema: ZodV3Like<RunOutput> | Record<string, any>,
    config?: BrokeStructuredOutputOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  // biome-ignore lint/suspicious/noExplicitAny: mirrors BaseChatModel's overloads
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    // biome-ignore lint/suspicious/noExplicitAny: JSON schema objects
    outputSchema: ZodV3Like<RunOutput> | Record<string, any>,
    config?: BrokeStructuredOutputOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  override withStructuredOutput(
    outputSchema: unknown,
    config?: BrokeStructuredOutputOptions<boolean>,
  ): Runnable<BaseLanguageModelInput, unknown> {
    return structuredOutput(
      {
        bindTools: (tools, kwargs) => this.bindTools(tools, kwargs),
        withResponseFormat: (format, lsFormat) => this.withResponseFormat(format, lsFormat),
      },
      outputSchema,
      config ?? {},
    );
  }
}
