import { type MlxNode, startMlxNode } from '../../../../../testbed/index.js';
import {
  type BrokeConfigInput,
  BrokeConfigSchema,
  ClusterMonitor,
  ClusterState,
  type DriverSource,
  type GatewayBridge,
  type RouteExplanation,
  Router,
  type RunningGateway,
  startGateway,
} from '../../../src/index.js';

export interface MlxCluster {
  nodes: MlxNode[];
  gateway: RunningGateway;
  router: Router;
  cluster: ClusterState;
  /** Every routing decision, in order (from the router's onDecision hook). */
  decisions: RouteExplanation[];
  /** Polling the nodes as `broke-cluster serve` does, when asked for (`monitor: true`). */
  monitor: ClusterMonitor | undefined;
  stop(): Promise<void>;
}

/**
 * N real mlx_lm.server nodes (tiny random models, one model id per node), the real Router and
 * the gateway with the given bridges mounted. Loopback only; stop() kills everything it started.
 */
export async function startMlxCluster(
  options: {
    nodes?: number;
    bridges?: GatewayBridge[];
    config?: Partial<BrokeConfigInput>;
    /** Merged into every node's config (concurrency, queue, timeouts). */
    node?: Record<string, unknown>;
    /** Start a ClusterMonitor on `config.monitor`: one poll before serving, then on its interval. */
    monitor?: boolean;
    model?: string;
    drivers?: DriverSource;
  } = {},
): Promise<MlxCluster> {
  const count = options.nodes ?? 2;
  const nodes = await Promise.all(
    Array.from({ length: count }, () => startMlxNode({ model: options.model ?? 'tiny' })),
  );
  try {
    const ids = nodes.map((_, i) => String.fromCharCode(97 + i));
    const config = BrokeConfigSchema.parse({
      nodes: nodes.map((n, i) => ({
        id: ids[i],
        url: n.url,
        kind: 'mlx',
        models: [{ id: `tiny-${ids[i]}` }],
        maxConcurrency: 8,
        requestTimeoutMs: 60_000,
        ...options.node,
      })),
      models: ids.map((id) => ({
        id: `tiny-${id}`,
        tier: 'small',
        contextLength: 4096,
        capabilities: ['streaming'],
      })),
      routing: { explorationRate: 0, seed: 7, maxAttempts: 3 },
      store: { kind: 'memory' },
      ...options.config,
    });
    const cluster = new ClusterState(config.nodes);
    const decisions: RouteExplanation[] = [];
    const router = new Router({ config, cluster, onDecision: (e) => decisions.push(e) });
    const gateway = await startGateway({
      config,
      router,
      cluster,
      port: 0,
      bridges: options.bridges ?? [],
      ...(options.drivers ? { drivers: options.drivers } : {}),
    });
    const monitor = options.monitor
      ? new ClusterMonitor({ nodes: config.nodes, monitor: config.monitor, state: cluster })
      : undefined;
    if (monitor) {
      await monitor.pollOnce();
      monitor.start();
    }
    return {
      nodes,
      gateway,
      router,
      cluster,
      decisions,
      monitor,
      async stop() {
        await monitor?.stop();
        await gateway.close();
        await Promise.all(nodes.map((n) => n.stop()));
      },
    };
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
}

/** Models for a two-node startMlxCluster: node a's as a small model, node b's as a large one. */
export const SMALL_AND_LARGE = [
  { id: 'tiny-a', tier: 'small', contextLength: 4096, capabilities: ['streaming'] },
  { id: 'tiny-b', tier: 'large', contextLength: 4096, capabilities: ['streaming'] },
] as const;

/** GET /v1/routes/{id} through the gateway, as a client would read it back. */
export async function explainOverHttp(base: string, routeId: string): Promise<RouteExplanation> {
  const res = await fetch(`${base}/v1/routes/${routeId}`);
  if (!res.ok) throw new Error(`GET /v1/routes/${routeId} → ${res.status}`);
  return (await res.json()) as RouteExplanation;
}
