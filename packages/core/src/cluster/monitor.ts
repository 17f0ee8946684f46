import { EventEmitter } from 'node:events';
import type { MonitorConfig, NodeConfig } from '../config/schema.js';
import { MonitorSchema } from '../config/schema.js';
import { createDriver } from '../drivers/factory.js';
import type { NodeInference, NodeMetrics, NodeProbe } from '../spec/index.js';
import { ClusterState } from './cluster-state.js';
import { loadedModelIds } from './loaded-models.js';
import type { NodeState } from './node-state.js';
import { type ProbeResult, probeModel } from './validation.js';

/** What the monitor uses of a driver: the probe, and a short generation to validate a model. */
export type MonitoredDriver = NodeProbe & Pick<NodeInference, 'chatStream'>;

export interface NodeEvent {
  nodeId: string;
  state: NodeState;
  /** Why the last poll failed (node-down), when it did. */
  error?: string;
}

export interface ModelValidatedEvent {
  nodeId: string;
  result: ProbeResult;
}

export interface MonitorEvents {
  'node-up': [NodeEvent];
  'node-down': [NodeEvent];
  'node-updated': [NodeEvent];
  'model-validated': [ModelValidatedEvent];
  /** Each full round over all nodes. */
  poll: [{ at: number; states: readonly NodeState[] }];
}

export type MemoryProbe = (node: NodeConfig) => Promise<NodeState['memory'] | undefined>;

export interface ClusterMonitorOptions {
  nodes: readonly NodeConfig[];
  monitor?: Partial<MonitorConfig>;
  state?: ClusterState;
  /** Driver per node; default createDriver(node). */
  driverFor?: (node: NodeConfig) => MonitoredDriver;
  /** Probe-generate each configured model when a node comes up (default true). */
  validate?: boolean;
  validationTimeoutMs?: number;
  /** Extra memory source (e.g. the SSH hardware probe), called every `memoryEvery` polls. */
  memoryProbe?: MemoryProbe;
  memoryEvery?: number;
}

interface Track {
  node: NodeConfig;
  driver: MonitoredDriver;
  known: boolean;
  failures: number;
  successes: number;
  polls: number;
  busy: boolean;
}

/**
 * Polls every node's driver on an interval and keeps ClusterState current: up/down with
 * hysteresis (downAfter failed polls, upAfter good ones), loaded models, queue depth, memory, and
 * which models passed a probe generation. The router only ever reads the state it writes.
 */
export class ClusterMonitor extends EventEmitter<MonitorEvents> {
  readonly state: ClusterState;
  readonly config: MonitorConfig;
  private readonly tracks = new Map<string, Track>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(private readonly options: ClusterMonitorOptions) {
    super();
    this.config = MonitorSchema.parse(options.monitor ?? {});
    this.state = options.state ?? new ClusterState();
    for (const node of options.nodes) {
      if (!this.state.node(node.id)) this.state.addNode(node);
      const driver = options.driverFor ? options.driverFor(node) : createDriver(node);
      this.tracks.set(node.id, {
        node,
        driver,
        known: false,
        failures: 0,
        successes: 0,
        polls: 0,
        busy: false,
      });
    }
  }

  driver(nodeId: string): MonitoredDriver | undefined {
    return this.tracks.get(nodeId)?.driver;
  }

  /** Poll now, then every intervalMs until stop(). */
  start(): this {
    if (this.timer) return this;
    const tick = () => {
      this.round = this.pollOnce().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.config.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
    return this;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round?.catch(() => undefined);
  }

  /** One round over all nodes in parallel; a node whose previous poll still runs is skipped. */
  async pollOnce(): Promise<void> {
    await Promise.all([...this.tracks.values()].map((t) => this.pollNode(t)));
    this.emit('poll', { at: Date.now(), states: this.state.nodes() });
  }

  private async pollNode(t: Track): Promise<void> {
    if (t.busy) return;
    t.busy = true;
    try {
      const timeoutMs = this.config.timeoutMs;
      const health = await t.driver.health({ timeoutMs });
      if (health.ok) await this.onSuccess(t, timeoutMs);
      else this.onFailure(t, health.error ?? 'unhealthy');
    } catch (err) {
      this.onFailure(t, (err as Error).message);
    } finally {
      t.busy = false;
    }
  }

  private async onSuccess(t: Track, timeoutMs: number): Promise<void> {
    t.failures = 0;
    t.successes += 1;
    t.polls += 1;
    const id = t.node.id;
    const prev = this.state.node(id);
    if (!prev) return;
    const patch: Partial<NodeState> = { lastSeen: Date.now() };
    const o = t.driver.observes;
    if (o.loadedModels || o.queueDepth || o.memory || o.metrics) {
      const m: NodeMetrics = await t.driver.metrics({ timeoutMs }).catch(() => ({}));
      // As config ids: warmth, memory headroom and affinity compare ids, not server names.
      if (m.loadedModels) patch.loadedModels = loadedModelIds(t.node, m.loadedModels);
      if (m.queued !== undefined) patch.queued = m.queued;
      // Elastic backends (Ray Serve) report their capacity as replicas come and go.
      if (m.capacity !== undefined && m.capacity > 0) patch.capacity = m.capacity;
      if (m.memory?.freeGb !== undefined || m.memory?.totalGb !== undefined)
        patch.memory = {
          ...prev.memory,
          ...stripUndefined({ totalGb: m.memory.totalGb, freeGb: m.memory.freeGb }),
        };
    }
    const every = this.options.memoryEvery ?? 5;
    if (this.options.memoryProbe && (t.polls - 1) % every === 0) {
      const mem = await this.options.memoryProbe(t.node).catch(() => undefined);
      if (mem) patch.memory = { ...prev.memory, ...patch.memory, ...mem };
    }
    const comingUp = !t.known || !prev.up;
    if (comingUp && t.successes < this.config.upAfter && t.known) {
      this.state.update(id, patch);
      return;
    }
    const changed = hasChanged(prev, patch);
    if (comingUp) {
      // Validate before announcing: a node is only useful once a model answers.
      if (this.options.validate !== false) patch.validatedModels = await this.validateNode(t);
      t.known = true;
      const state = this.state.update(id, { ...patch, up: true }) as NodeState;
      this.emit('node-up', { nodeId: id, state });
      return;
    }
    const state = this.state.update(id, patch) as NodeState;
    if (changed) this.emit('node-updated', { nodeId: id, state });
  }

  private onFailure(t: Track, error: string): void {
    t.successes = 0;
    t.failures += 1;
    const id = t.node.id;
    const prev = this.state.node(id);
    if (!prev) return;
    // Every failed poll is remembered, so a DOWN node (or one about to be) can say why.
    this.state.update(id, { lastError: { at: Date.now(), message: error } });
    // No evidence it was ever up: the first failure decides. Otherwise wait for downAfter.
    const goDown = (!t.known || prev.up) && (!t.known || t.failures >= this.config.downAfter);
    if (!goDown) return;
    t.known = true;
    const state = this.state.update(id, {
      up: false,
      validatedModels: [],
      loadedModels: undefined,
      queued: 0,
    }) as NodeState;
    this.emit('node-down', { nodeId: id, state, error });
  }

  /** Probe every configured model; returns the ids that passed. */
  private async validateNode(t: Track): Promise<string[]> {
    const ok: string[] = [];
    for (const m of t.node.models) {
      const result = await probeModel(t.driver, m.id, {
        timeoutMs: this.options.validationTimeoutMs ?? 60_000,
      });
      this.emit('model-validated', { nodeId: t.node.id, result });
      if (!result.ok) continue;
      ok.push(m.id);
      // The probe's time to first token is a fair first estimate. Its decode speed is not: a
      // handful of tokens often arrive in one network read, which reads as thousands of tokens/s.
      if (result.ttftMs !== undefined) this.state.observePerf(t.node.id, m.id, { ttftMs: result.ttftMs });
    }
    return ok;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function hasChanged(prev: NodeState, patch: Partial<NodeState>): boolean {
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'lastSeen') continue;
    if (JSON.stringify(prev[k as keyof NodeState]) !== JSON.stringify(v)) return true;
  }
  return false;
}
