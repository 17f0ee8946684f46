/**
 * What the cluster monitor knows about a node right now. The router reads this (never the
 * network) so a routing decision costs microseconds; the monitor and the gateway write it.
 */
export interface NodeState {
  id: string;
  /** Up/down after hysteresis (see MonitorConfig.downAfter / upAfter). */
  up: boolean;
  /** Models resident in memory (warm), when the driver can observe it; otherwise undefined. */
  loadedModels: string[] | undefined;
  /** Model ids validated (a probe generation succeeded) and allowed to take traffic. */
  validatedModels: string[] | undefined;
  /** Requests the gateway has in flight on this node. */
  inFlight: number;
  /** Requests waiting on the node's own queue, when the server exposes it. */
  queued: number;
  /** Requests waiting in the gateway for a free slot on this node (see serving/node-slot.ts). */
  waiting: number;
  /** How many requests the node serves at once (config maxConcurrency). */
  capacity: number;
  /** How many may wait in the gateway for this node (config queueLimit). */
  queueLimit: number;
  memory: { totalGb?: number; freeGb?: number; pressure?: 'normal' | 'warn' | 'critical' } | undefined;
  /** Router should not pick this node before this time (ms epoch), e.g. after a failure. */
  cooldownUntil: number;
  lastSeen: number;
  /** The last failure seen on the node (a failed poll, a request it failed); status shows it. */
  lastError?: { at: number; message: string } | undefined;
}

/** Measured speed for one node × model, updated online (EWMA) and seeded from benchmarks. */
export interface PerfEstimate {
  ttftMs: number;
  decodeTokensPerSec: number;
  prefillTokensPerSec?: number;
  /** `false` while decodeTokensPerSec is a placeholder (only a TTFT measured so far). */
  decodeMeasured?: boolean;
  /**
   * `false` while only whole answers were timed (non-streaming): ttftMs is then 0 and the decode
   * rate, timed over whole answers, carries the time to the first token too.
   */
  ttftMeasured?: boolean;
  samples: number;
}

/** Read side of the cluster state, all the router needs. */
export interface ClusterView {
  node(id: string): NodeState | undefined;
  nodes(): readonly NodeState[];
  perf(nodeId: string, modelId: string): PerfEstimate | undefined;
}
