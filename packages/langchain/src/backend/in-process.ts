import * as core from '@broke/core';
import {
  type BrokeConfig,
  type BrokeConfigInput,
  BrokeConfigSchema,
  BrokeError,
  type ChatChunk,
  type ChatCompletion,
  type ChatMessage,
  type ChatRequest,
  type ChatStreamRequest,
  ClusterState,
  createDriver,
  dispatchWithFailover,
  type Feedback,
  type NodeConfig,
  type NodeDriver,
  type Outcome,
  type RouteDecision,
  type RouteExplanation,
  type RouterLike,
  signalLink,
} from '@broke/core';
import { abortErrorFor } from '../errors.js';
import { shortHash, stableJson } from '../identity.js';
import { requiredCapabilities } from './capabilities.js';
import type { BackendCall, BackendCompletion, BackendStream, BrokeBackend, BrokeChatBody } from './types.js';

export interface InProcessOptions {
  /** The cluster, as in broke.yaml (parsed or not). */
  config: BrokeConfig | BrokeConfigInput;
  /** A router to share (e.g. with a gateway in the same process); default `Router.create`. */
  router?: RouterLike;
  cluster?: ClusterState;
  /** Drivers by node id, or a factory; default core's `createDriver`. */
  drivers?: ReadonlyMap<string, NodeDriver> | ((node: NodeConfig) => NodeDriver);
}

type RouterFactory = { create(opts: { config: BrokeConfig; cluster: ClusterState }): Promise<RouterLike> };

async function defaultRouter(config: BrokeConfig, cluster: ClusterState): Promise<RouterLike> {
  // Looked up on the namespace, like the gateway does, so this package builds whatever lands first.
  const Router = (core as Record<string, unknown>).Router as RouterFactory | undefined;
  if (!Router) throw new BrokeError('no_router', '@broke/core has no Router; pass `router`', { status: 500 });
  return Router.create({ config, cluster });
}

/**
 * Which cluster, as the cache sees it: a digest of the config (nodes, models, routing rules), parsed
 * when it parses so defaults written out or left implicit give the same identity.
 */
export function inProcessIdentity(config: BrokeConfig | BrokeConfigInput): string {
  const parsed = BrokeConfigSchema.safeParse(config);
  return `in-process:${shortHash(stableJson(parsed.success ? parsed.data : config))}`;
}

/** Node body: the caller's body with the node's own model name. */
function upstream(body: BrokeChatBody, servedName: string): Record<string, unknown> {
  return { ...body, model: servedName };
}

/** Routes with core's Router and calls nodes through core's drivers, with the gateway's failover. */
export class InProcessBackend implements BrokeBackend {
  readonly mode = 'in-process' as const;
  private identity: string | undefined;

  private constructor(
    readonly config: BrokeConfig,
    readonly router: RouterLike,
    readonly cluster: ClusterState,
    private readonly driverFor: (id: string) => NodeDriver | undefined,
  ) {}

  static async create(options: InProcessOptions): Promise<InProcessBackend> {
    const config = BrokeConfigSchema.parse(options.config);
    const cluster = options.cluster ?? new ClusterState(config.nodes);
    const router = options.router ?? (await defaultRouter(config, cluster));
    const nodes = new Map(config.nodes.map((n) => [n.id, n]));
    const source = options.drivers;
    const cache = new Map<string, NodeDriver>();
    const driverFor = (id: string): NodeDriver | undefined => {
      if (source && typeof source !== 'function') return source.get(id);
      let driver = cache.get(id);
      const node = nodes.get(id);
      if (!driver && node) {
        driver = source ? source(node) : createDriver(node);
        cache.set(id, driver);
      }
      return driver;
    };
    return new InProcessBackend(config, router, cluster, driverFor);
  }

  get cacheIdentity(): string {
    this.identity ??= inProcessIdentity(this.config);
    return this.identity;
  }

  private route(call: BackendCall, stream: boolean): RouteDecision {
    const maxTokens = call.body.max_completion_tokens ?? call.body.max_tokens ?? undefined;
    return this.router.route(
      {
        messages: call.body.messages as ChatMessage[],
        ...(call.body.model ? { model: call.body.model } : {}),
        ...(maxTokens ? { maxTokens } : {}),
        requires: requiredCapabilities(call.body, stream),
      },
      call.context,
    );
  }

  private deps() {
    const nodes = new Map(this.config.nodes.map((n) => [n.id, n]));
    return {
      cluster: this.cluster,
      router: this.router,
      driverFor: this.driverFor,
      nodeConfig: (id: string) => nodes.get(id),
      maxAttempts: this.config.routing.maxAttempts,
    };
  }

  private record(routeId: string, outcome: Outcome): void {
    // Never let a slow or failing store fail the caller's answer.
    this.router.recordOutcome(routeId, outcome).catch(() => {});
  }

  async complete(call: BackendCall): Promise<BackendCompletion> {
    const decision = this.route(call, false);
    const signal = call.signal ?? new AbortController().signal;
    const t0 = performance.now();
    let started: Awaited<ReturnType<typeof dispatchWithFailover<ChatCompletion>>>;
    try {
      started = await dispatchWithFailover(this.deps(), decision, signalLink(signal), (driver, cand, s) =>
        driver.chat(upstream(call.body, cand.servedName) as unknown as ChatRequest, { signal: s }),
      );
    } catch (err) {
      if (signal.aborted) throw abortErrorFor(signal, decision.routeId);
      this.record(decision.routeId, { success: false, error: String((err as Error).message ?? err) });
      throw err;
    }
    started.finish();
    const latencyMs = performance.now() - t0 - started.waitedMs;
    const usage = started.value.usage;
    this.record(decision.routeId, {
      success: true,
      latencyMs,
      ttftMs: latencyMs,
      ...(usage ? { tokens: usage.completion_tokens, promptTokens: usage.prompt_tokens } : {}),
    });
    const { nodeId, modelId } = started.candidate;
    return { route: { routeId: decision.routeId, nodeId, modelId }, completion: started.value };
  }

  async stream(call: BackendCall): Promise<BackendStream> {
    const decision = this.route(call, true);
    const signal = call.signal ?? new AbortController().signal;
    const t0 = performance.now();
    type First = { iter: AsyncIterator<ChatChunk>; first: IteratorResult<ChatChunk> };
    let started: Awaited<ReturnType<typeof dispatchWithFailover<First>>>;
    try {
      started = await dispatchWithFailover(
        this.deps(),
        decision,
        signalLink(signal),
        async (driver, cand, s) => {
          const req = {
            ...upstream(call.body, cand.servedName),
            stream: true,
            stream_options: { include_usage: true },
          } as unknown as ChatStreamRequest;
          const iter = driver.chatStream(req, { signal: s })[Symbol.asyncIterator]();
          // Failover is only safe before any output: wait for the node's first chunk.
          return { iter, first: await iter.next() };
        },
      );
    } catch (err) {
      if (signal.aborted) throw abortErrorFor(signal, decision.routeId);
      this.record(decision.routeId, { success: false, error: String((err as Error).message ?? err) });
      throw err;
    }
    const ttftMs = performance.now() - t0 - started.waitedMs;
    const { candidate, controller, finish } = started;
    const { iter, first } = started.value;
    const routeId = decision.routeId;
    const record = this.record.bind(this);
    async function* chunks(): AsyncGenerator<ChatChunk> {
      let usage: ChatChunk['usage'];
      let count = 0;
      let ended = false;
      try {
        for (let r = first; !r.done; r = await iter.next()) {
          if (r.value.usage) usage = r.value.usage;
          if (r.value.choices.length > 0) count += 1;
          yield r.value;
        }
        ended = true;
        record(routeId, {
          success: true,
          latencyMs: performance.now() - t0 - started.waitedMs,
          ttftMs,
          tokens: usage?.completion_tokens ?? count,
          ...(usage ? { promptTokens: usage.prompt_tokens } : {}),
        });
      } catch (err) {
        if (signal.aborted) throw abortErrorFor(signal, routeId);
        record(routeId, { success: false, latencyMs: performance.now() - t0, ttftMs, error: String(err) });
        throw err;
      } finally {
        finish();
        if (!ended) {
          controller.abort('stream ended early');
          iter.return?.().catch(() => {});
        }
      }
    }
    return { route: { routeId, nodeId: candidate.nodeId, modelId: candidate.modelId }, chunks: chunks() };
  }

  async feedback(routeId: string, feedback: Feedback): Promise<void> {
    await this.router.feedback(routeId, feedback);
  }

  async explain(routeId: string): Promise<RouteExplanation | undefined> {
    return await this.router.explain(routeId);
  }
}
