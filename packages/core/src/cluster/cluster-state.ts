import type { NodeConfig } from '../config/schema.js';
import type { ClusterView, NodeState, PerfEstimate } from './node-state.js';

/** Weight of a new sample in the speed estimates (EWMA). */
const PERF_ALPHA = 0.2;

/**
 * The live, in-memory picture of the cluster. The monitor and gateway write it; the router reads
 * it through ClusterView. Plain objects and maps so reads on the routing hot path are cheap.
 */
export class ClusterState implements ClusterView {
  private readonly states = new Map<string, NodeState>();
  private readonly perfs = new Map<string, PerfEstimate>();
  private list: NodeState[] = [];

  constructor(nodes: readonly NodeConfig[] = []) {
    for (const node of nodes) this.addNode(node);
  }

  addNode(
    node: Pick<NodeConfig, 'id' | 'maxConcurrency' | 'memoryGb'> & Partial<Pick<NodeConfig, 'queueLimit'>>,
    up = true,
  ): NodeState {
    const state: NodeState = {
      id: node.id,
      up,
      loadedModels: undefined,
      validatedModels: undefined,
      inFlight: 0,
      queued: 0,
      waiting: 0,
      capacity: node.maxConcurrency,
      queueLimit: node.queueLimit ?? 4 * node.maxConcurrency,
      memory: node.memoryGb === undefined ? undefined : { totalGb: node.memoryGb },
      cooldownUntil: 0,
      lastSeen: 0,
    };
    this.states.set(node.id, state);
    this.list = [...this.states.values()];
    return state;
  }

  node(id: string): NodeState | undefined {
    return this.states.get(id);
  }

  nodes(): readonly NodeState[] {
    return this.list;
  }

  /** Apply a partial update (from the monitor) to one node. */
  update(id: string, patch: Partial<Omit<NodeState, 'id'>>): NodeState | undefined {
    const state = this.states.get(id);
    if (!state) return undefined;
    Object.assign(state, patch);
    return state;
  }

  perf(nodeId: string, modelId: string): PerfEstimate | undefined {
    return this.perfs.get(`${nodeId}\u0000${modelId}`);
  }

  /** Seed an estimate (from a benchmark baseline) without counting it as many samples. */
  seedPerf(nodeId: string, modelId: string, estimate: Omit<PerfEstimate, 'samples'>, samples = 1): void {
    this.perfs.set(`${nodeId}\u0000${modelId}`, { ...estimate, samples });
  }

  /** Fold one measured request into the node × model speed estimate. */
  observePerf(
    nodeId: string,
    modelId: string,
    sample: { ttftMs?: number; decodeTokensPerSec?: number; prefillTokensPerSec?: number },
  ): void {
    const key = `${nodeId}\u0000${modelId}`;
    const prev = this.perfs.get(key);
    if (!prev) {
      this.perfs.set(key, {
        ttftMs: sample.ttftMs ?? 1000,
        decodeTokensPerSec: sample.decodeTokensPerSec ?? 10,
        ...(sample.decodeTokensPerSec === undefined ? { decodeMeasured: false } : {}),
        ...(sample.prefillTokensPerSec !== undefined
          ? { prefillTokensPerSec: sample.prefillTokensPerSec }
          : {}),
        samples: 1,
      });
      return;
    }
    // A running mean over the first samples, an EWMA after: an odd first sample (a probe, a cold
    // cache) is outvoted within a few requests instead of decaying by 0.8 per request.
    const rate = Math.max(PERF_ALPHA, 1 / (prev.samples + 1));
    if (sample.ttftMs !== undefined) prev.ttftMs += rate * (sample.ttftMs - prev.ttftMs);
    if (sample.decodeTokensPerSec !== undefined) {
      if (prev.decodeMeasured !== false)
        prev.decodeTokensPerSec += rate * (sample.decodeTokensPerSec - prev.decodeTokensPerSec);
      else prev.decodeTokensPerSec = sample.decodeTokensPerSec;
      prev.decodeMeasured = true;
    }
    if (sample.prefillTokensPerSec !== undefined)
      prev.prefillTokensPerSec =
        prev.prefillTokensPerSec === undefined
          ? sample.prefillTokensPerSec
          : prev.prefillTokensPerSec + PERF_ALPHA * (sample.prefillTokensPerSec - prev.prefillTokensPerSec);
    prev.samples += 1;
  }
}
