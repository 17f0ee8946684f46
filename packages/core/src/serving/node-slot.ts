import type { ClusterState } from '../cluster/cluster-state.js';
import type { NodeState } from '../cluster/node-state.js';

/**
 * One request's hold on a node: inFlight goes up on acquire and down exactly once on release,
 * whatever path the request ends on (success, failover, client disconnect).
 */
export interface NodeSlot {
  release(): void;
}

interface Waiter {
  grant(slot: NodeSlot | undefined): void;
}

/**
 * Requests waiting for a slot, per node, first come first served. `NodeState.waiting` mirrors
 * the length (through ClusterState.addLoad) so the router sees the queue it predicts the wait from.
 */
const queues = new WeakMap<NodeState, Waiter[]>();

const NO_NODE: NodeSlot = { release() {} };

/** A class, not a closure per slot: one small object per request on the hot path. */
class HeldSlot implements NodeSlot {
  private held = true;

  constructor(
    private readonly cluster: ClusterState,
    private readonly state: NodeState,
  ) {}

  release(): void {
    if (!this.held) return;
    this.held = false;
    const { cluster, state } = this;
    const next = queues.get(state)?.shift();
    if (next) {
      // Hand the slot straight to the next waiter: inFlight stays, nobody can cut in.
      cluster.addLoad(state, 0, -1);
      next.grant(new HeldSlot(cluster, state));
      return;
    }
    cluster.addLoad(state, -1, 0);
  }
}

/** A slot now, or undefined when the node is at its concurrency limit. */
export function tryAcquireSlot(cluster: ClusterState, nodeId: string): NodeSlot | undefined {
  const state = cluster.node(nodeId);
  if (!state) return NO_NODE;
  if (state.inFlight >= state.capacity || (queues.get(state)?.length ?? 0) > 0) return undefined;
  cluster.addLoad(state, 1, 0);
  return new HeldSlot(cluster, state);
}

/**
 * A slot now, or after waiting in the node's queue: undefined when the queue is full
 * (queueLimit), the wait exceeds `maxWaitMs`, or `signal` aborts first.
 */
export function acquireSlot(
  cluster: ClusterState,
  nodeId: string,
  maxWaitMs: number,
  signal?: AbortSignal,
): NodeSlot | undefined | Promise<NodeSlot | undefined> {
  const now = tryAcquireSlot(cluster, nodeId);
  if (now) return now;
  const state = cluster.node(nodeId) as NodeState;
  let queue = queues.get(state);
  if (!queue) {
    queue = [];
    queues.set(state, queue);
  }
  if (queue.length >= (state.queueLimit ?? 0) || maxWaitMs <= 0 || signal?.aborted) return undefined;
  const waiting = queue;
  return new Promise((resolve) => {
    let done = false;
    const give = (slot: NodeSlot | undefined) => {
      if (done) {
        slot?.release();
        return;
      }
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', leave);
      resolve(slot);
    };
    const waiter: Waiter = { grant: give };
    const leave = () => {
      const at = waiting.indexOf(waiter);
      if (at >= 0) {
        waiting.splice(at, 1);
        cluster.addLoad(state, 0, -1);
      }
      give(undefined);
    };
    const timer = setTimeout(leave, maxWaitMs);
    timer.unref?.();
    signal?.addEventListener('abort', leave, { once: true });
    waiting.push(waiter);
    cluster.addLoad(state, 0, 1);
  });
}

/** How long a failed node is steered away from by default. */
export const COOLDOWN_MS = 3000;

/** Short penalty after a failure so new routes steer away before the monitor notices. */
export function coolDown(cluster: ClusterState, nodeId: string, ms = COOLDOWN_MS, reason?: string): void {
  cluster.coolDown(nodeId, Date.now() + ms, reason);
}
