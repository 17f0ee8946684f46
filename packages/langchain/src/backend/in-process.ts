import {
  type BrokeConfig,
  type BrokeConfigInput,
  BrokeConfigSchema,
  type ChatCompletion,
  ClusterState,
  type DriverSource,
  driverLookup,
  type Feedback,
  type RouteExplanation,
  Router,
  type RouterLike,
  type ServingDeps,
  serveChat,
  signalLink,
} from '@broke/core';
import { abortErrorFor } from '../errors.js';
import { shortHash, stableJson } from '../identity.js';
import { ChunkQueue } from './chunk-queue.js';
import type { BackendCall, BackendCompletion, BackendStream, BrokeBackend } from './types.js';

export interface InProcessOptions {
  /** The cluster, as in broke.yaml (parsed or not). */
  config: BrokeConfig | BrokeConfigInput;
  /** A router to share (e.g. with a gateway in the same process); default `Router.create`. */
  router?: RouterLike;
  cluster?: ClusterState;
  /** Drivers by node id, or a factory; default core's `createDriver`. */
  drivers?: DriverSource;
}

/**
 * Which cluster, as the cache sees it: a digest of the config (nodes, models, routing rules), parsed
 * when it parses so defaults written out or left implicit give the same identity.
 */
export function inProcessIdentity(config: BrokeConfig | BrokeConfigInput): string {
  const parsed = BrokeConfigSchema.safeParse(config);
  return `in-process:${shortHash(stableJson(parsed.success ? parsed.data : config))}`;
}

/**
 * Serves calls with core's serving path (serving/serve-chat.ts), the one the gateway runs: the
 * same routing, failover, relay and learning, without HTTP.
 */
export class InProcessBackend implements BrokeBackend {
  readonly mode = 'in-process' as const;
  private identity: string | undefined;

  private constructor(
    readonly config: BrokeConfig,
    readonly router: RouterLike,
    readonly cluster: ClusterState,
    private readonly deps: ServingDeps,
  ) {}

  static async create(options: InProcessOptions): Promise<InProcessBackend> {
    const config = BrokeConfigSchema.parse(options.config);
    const cluster = options.cluster ?? new ClusterState(config.nodes);
    const router = options.router ?? (await Router.create({ config, cluster }));
    const nodes = new Map(config.nodes.map((n) => [n.id, n]));
    return new InProcessBackend(config, router, cluster, {
      cluster,
      router,
      driverFor: driverLookup(config, options.drivers),
      nodeConfig: (id) => nodes.get(id),
      maxAttempts: config.routing.maxAttempts,
    });
  }

  get cacheIdentity(): string {
    this.identity ??= inProcessIdentity(this.config);
    return this.identity;
  }

  private serve(call: BackendCall, stream: boolean) {
    const signal = call.signal ?? new AbortController().signal;
    const body = stream
      ? { ...call.body, stream: true, stream_options: { include_usage: true } }
      : { ...call.body, stream: false };
    const served = serveChat(this.deps, {
      body,
      ctx: call.context,
      client: signalLink(signal),
      t0: performance.now(),
    });
    return { served, signal };
  }

  async complete(call: BackendCall): Promise<BackendCompletion> {
    const { signal, served: pending } = this.serve(call, false);
    const served = await pending;
    if (!served.ok) {
      if (signal.aborted) throw abortErrorFor(signal, served.decision?.routeId);
      throw served.error;
    }
    if (served.stream) throw new Error('unreachable: a completion was asked for');
    const { nodeId, modelId } = served.candidate;
    return {
      route: { routeId: served.decision.routeId, nodeId, modelId },
      completion: JSON.parse(served.text) as ChatCompletion,
    };
  }

  async stream(call: BackendCall): Promise<BackendStream> {
    const { signal, served: pending } = this.serve(call, true);
    const served = await pending;
    if (!served.ok) {
      if (signal.aborted) throw abortErrorFor(signal, served.decision?.routeId);
      throw served.error;
    }
    if (!served.stream) throw new Error('unreachable: a stream was asked for');
    const routeId = served.decision.routeId;
    const queue = new ChunkQueue();
    served.relay(queue).then(
      () => queue.close(),
      () => queue.close(),
    );
    async function* chunks() {
      try {
        yield* queue.chunks();
      } catch (err) {
        if (signal.aborted) throw abortErrorFor(signal, routeId);
        throw err;
      }
      // The relay stops quietly when the caller aborts: the caller gets its abort error.
      if (signal.aborted) throw abortErrorFor(signal, routeId);
    }
    return {
      route: { routeId, nodeId: served.candidate.nodeId, modelId: served.candidate.modelId },
      chunks: chunks(),
    };
  }

  async feedback(routeId: string, feedback: Feedback): Promise<void> {
    await this.router.feedback(routeId, feedback);
  }

  async explain(routeId: string): Promise<RouteExplanation | undefined> {
    return await this.router.explain(routeId);
  }
}
