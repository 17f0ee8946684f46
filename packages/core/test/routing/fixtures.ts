import { ClusterState } from '../../src/cluster/cluster-state.js';
import { type BrokeConfig, type BrokeConfigInput, BrokeConfigSchema } from '../../src/config/schema.js';
import type { RouteRequest } from '../../src/routing/types.js';

/** Two nodes serving a small and a large model, plus a medium one on node b. */
export function testConfig(overrides: Partial<BrokeConfigInput> = {}): BrokeConfig {
  return BrokeConfigSchema.parse({
    nodes: [
      { id: 'a', url: 'http://10.0.0.1:8080', models: [{ id: 'small' }, { id: 'large' }], maxConcurrency: 4 },
      {
        id: 'b',
        url: 'http://10.0.0.2:8080',
        models: [{ id: 'small' }, { id: 'medium' }, { id: 'large' }],
        maxConcurrency: 4,
      },
    ],
    models: [
      { id: 'small', tier: 'small', contextLength: 8192, capabilities: ['streaming', 'json'] },
      { id: 'medium', tier: 'medium', contextLength: 16384, capabilities: ['streaming', 'tools', 'json'] },
      {
        id: 'large',
        tier: 'large',
        contextLength: 32768,
        capabilities: ['streaming', 'tools', 'json'],
        memoryGb: 40,
      },
    ],
    store: { kind: 'memory' },
    ...overrides,
  });
}

export function testCluster(config: BrokeConfig): ClusterState {
  return new ClusterState(config.nodes);
}

export function ask(content: string, extra: Partial<RouteRequest> = {}): RouteRequest {
  return { messages: [{ role: 'user', content }], ...extra };
}
