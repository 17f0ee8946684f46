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
  /** Who wants to hear that a node went down (requests waiting on it or for its first token). */
  private readonly downListeners = new Map<string, Set<() => void>>();

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
      lastError: undefined,
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
    const wentDown = state.up && patch.up === false;
    Object.assign(state, patch);
    if (wentDown) for (const listener of [...(this.downListeners.get(id) ?? [])]) listener();
    return state;
  }

  /**
   * A gateway slot on the node taken (+1) or given back (-1), and requests waiting in the gateway
   * for one (serving/node-slot.ts): what the router predicts the node's queue from. Never below 0.
   */
  addLoad(state: NodeState, inFlight: number, waiting: number): void {
    if (inFlight !== 0) state.inFlight = Math.max(0, state.inFlight + inFlight);
    if (waiting !== 0) state.waiting = Math.max(0, (state.waiting ?? 0) + waiting);
  }

  /** Steers new routes away from the node until `until` (epoch ms), noting why. */
  coolDown(id: string, until: number, reason?: string): void {
    const state = this.states.get(id);
    if (!state) return;
    state.cooldownUntil = Math.max(state.cooldownUntil, until);
    if (reason !== undefined) state.lastError = { at: Date.now(), message: reason };
  }

  /**
   * Calls `listener` when the node goes down (the monitor's verdict), so requests held by a node
   * that froze (a Mac asleep, a SIGSTOP) fail over then, not after their whole timeout.
   * Returns the unsubscribe.
   */
  onDown(id: string, listener: () => void): () => void {
    let set = this.downListeners.get(id);
    if (!set) {
      set = new Set();
      this.downListeners.set(id, set);
    }
    set.add(listener);
    const listeners = set;
    return () => {
      listeners.delete(listener);
    };
  }

  perf(nodeId: string, modelId: string): PerfEstimate | undefined {
    return this.perfs.get(`${nodeId}\u0000${modelId}`);
  }

  /** Seed an estimate (from a benchmark baseline) without counting it as many samples. */
  seedPerf(nodeId: string, modelId: string, estimate: Omit<PerfEstimate, 'samples'>, samples = 1): void {
    this.perfs.set(`${nodeId}\u0000${modelId}`, { ...estimate, samples });
  }

  /**
   * Fold one measured request into the node × model speed estimate. Speeds come best as
   * `{ tokens, ms }` (decode: reply tokens and the time after the first; prefill: prompt tokens
   * and the time to the first): they are kept as ratios of smoothed sums, so a short reply that
   * arrived in one network read (ms ≈ 0) barely counts, where its own rate would be absurd.
   */
  observePerf(nodeId: string, modelId: string, sample: PerfSample): void {
    const key = `${nodeId}\u0000${modelId}`;
    let prev = this.perfs.get(key);
    if (!prev) {
      prev = {
        // Only whole answers timed (non-streaming): no TTFT of its own, the decode rate (tokens
        // over the whole answer's time) carries it. A made-up TTFT would be added to every answer.
        ttftMs: sample.ttftMs ?? 0,
        decodeTokensPerSec: sample.decodeTokensPerSec ?? 10,
        ...(sample.decodeTokensPerSec === undefined ? { decodeMeasured: false } : {}),
        ...(sample.ttftMs === undefined ? { ttftMeasured: false } : {}),
        ...(sample.prefillTokensPerSec !== undefined
          ? { prefillTokensPerSec: sample.prefillTokensPerSec }
          : {}),
        samples: 0,
      };
      this.perfs.set(key, prev);
    } else if (sample.ttftMs !== undefined && prev.ttftMeasured === false) {
      prev.ttftMs = sample.ttftMs;
      prev.ttftMeasured = true;
    } else if (sample.ttftMs !== undefined) {
      // A running mean over the first samples, an EWMA after: an odd first sample (a probe, a
      // cold cache) is outvoted within a few requests instead of decaying by 0.8 per request.
      prev.ttftMs += Math.max(PERF_ALPHA, 1 / (prev.samples + 1)) * (sample.ttftMs - prev.ttftMs);
    }
    const sums = this.sums.get(key) ?? { decodeTokens: 0, decodeMs: 0, prefillTokens: 0, prefillMs: 0 };
    this.sums.set(key, sums);
    const decode = sample.decode ?? rateSample(sample.decodeTokensPerSec);
    if (decode && decode.tokens > 0 && decode.ms >= 0) {
      sums.decodeTokens = sums.decodeTokens * (1 - PERF_ALPHA) + decode.tokens;
      sums.decodeMs = sums.decodeMs * (1 - PERF_ALPHA) + decode.ms;
      if (sums.decodeMs > 0) {
        prev.decodeTokensPerSec = (sums.decodeTokens * 1000) / sums.decodeMs;
        prev.decodeMeasured = true;
      }
    }
    const prefill = sample.prefill ?? rateSample(sample.prefillTokensPerSec);
    if (prefill && prefill.tokens > 0 && prefill.ms >= 0) {
      sums.prefillTokens = sums.prefillTokens * (1 - PERF_ALPHA) + prefill.tokens;
      sums.prefillMs = sums.prefillMs * (1 - PERF_ALPHA) + prefill.ms;
      if (sums.prefillMs > 0) prev.prefillTokensPerSec = (sums.prefillTokens * 1000) / sums.prefillMs;
    }
    prev.samples += 1;
  }

  private readonly sums = new Map<
    string,
    { decodeTokens: number; decodeMs: number; prefillTokens: number; prefillMs: number }
  >();
}

/** One request's speed measurements (see ClusterState.observePerf). */
export interface PerfSample {
  ttftMs?: number;
  /** Prefer `decode`; a bare rate counts as one second's worth of tokens. */
  decodeTokensPerSec?: number;
  prefillTokensPerSec?: number;
  decode?: { tokens: number; ms: number };
  prefill?: { tokens: number; ms: number };
}

/** A bare tokens/s figure as a sample of one second. */
function rateSample(tokensPerSec: number | undefined): { tokens: number; ms: number } | undefined {
  return tokensPerSec !== undefined && tokensPerSec > 0 ? { tokens: tokensPerSec, ms: 1000 } : undefined;
}
