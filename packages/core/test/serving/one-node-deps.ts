import { BrokeConfigSchema, ClusterState, driverLookup, Router, type ServingDeps } from '../../src/index.js';

/**
 * Serving's dependencies for one real node serving `tiny-a` (in process, no HTTP), as LangChain's
 * in-process mode builds them: the serving and in-process capture tests share it.
 */
export function oneNodeDeps(url: string): Omit<ServingDeps, 'observers'> {
  const config = BrokeConfigSchema.parse({
    nodes: [{ id: 'a', url, kind: 'mlx', models: [{ id: 'tiny-a' }], maxConcurrency: 4 }],
    models: [{ id: 'tiny-a', tier: 'small', contextLength: 4096, capabilities: ['streaming'] }],
    routing: { explorationRate: 0, seed: 7, maxAttempts: 2 },
    store: { kind: 'memory' },
  });
  const cluster = new ClusterState(config.nodes);
  return {
    cluster,
    router: new Router({ config, cluster }),
    driverFor: driverLookup(config, undefined),
    nodeConfig: (id) => config.nodes.find((n) => n.id === id),
    maxAttempts: 2,
  };
}
