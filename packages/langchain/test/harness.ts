import {
  type BrokeConfig,
  BrokeConfigSchema,
  type ModelConfig,
  type RunningGateway,
  startGateway,
} from '@broke/core';
import { type MlxNode, startMlxNode } from '../../../testbed/index.js';
import {
  type BrokeBackend,
  BrokeChatModel,
  type BrokeChatModelFields,
  InProcessBackend,
  RemoteBackend,
} from '../src/index.js';

export type Mode = 'in-process' | 'remote';
export const MODES: Mode[] = ['in-process', 'remote'];

/** A test model: which generated model a node serves, what it can do, and the role pinned to it. */
export interface NodeSpec {
  model: string;
  role: string;
  capabilities: ModelConfig['capabilities'];
}

/** A real cluster: one mlx_lm.server per spec, each role pinned to its node by a role rule. */
export interface TestCluster {
  config: BrokeConfig;
  nodes: Record<string, MlxNode>;
  stop(): Promise<void>;
}

export async function startCluster(specs: NodeSpec[]): Promise<TestCluster> {
  const started = await Promise.allSettled(specs.map((s) => startMlxNode({ model: s.model })));
  const nodes: Record<string, MlxNode> = {};
  started.forEach((r, i) => {
    if (r.status === 'fulfilled') nodes[specs[i]?.model as string] = r.value;
  });
  const stop = async () => {
    await Promise.all(Object.values(nodes).map((n) => n.stop()));
  };
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  const config = BrokeConfigSchema.parse({
    nodes: specs.map((s) => ({
      id: `n-${s.model}`,
      url: nodes[s.model]?.url,
      kind: 'mlx',
      models: [{ id: s.model, path: nodes[s.model]?.modelPath }],
      requestTimeoutMs: 60_000,
    })),
    models: specs.map((s) => ({
      id: s.model,
      capabilities: s.capabilities,
      tier: 'small',
      contextLength: 4096,
    })),
    routing: {
      explorationRate: 0,
      seed: 1,
      maxAttempts: 1,
      roleRules: specs.map((s) => ({ role: s.role, pinModels: [s.model] })),
    },
    store: { kind: 'memory' },
  });
  return { config, nodes, stop };
}

/** One backend per mode over the same cluster: the in-process Router, or a real gateway. */
export interface ModeHarness {
  mode: Mode;
  backend: BrokeBackend;
  gateway: RunningGateway | undefined;
  model(fields?: Omit<BrokeChatModelFields, 'backend' | 'gateway' | 'inProcess'>): BrokeChatModel;
  close(): Promise<void>;
}

export async function startMode(mode: Mode, cluster: TestCluster): Promise<ModeHarness> {
  let gateway: RunningGateway | undefined;
  let backend: BrokeBackend;
  if (mode === 'remote') {
    gateway = await startGateway({ config: cluster.config, host: '127.0.0.1', port: 0 });
    backend = new RemoteBackend({ url: gateway.url });
  } else {
    backend = await InProcessBackend.create({ config: cluster.config });
  }
  return {
    mode,
    backend,
    gateway,
    model: (fields = {}) => new BrokeChatModel({ maxTokens: 64, ...fields, backend }),
    close: async () => {
      await gateway?.close();
    },
  };
}
