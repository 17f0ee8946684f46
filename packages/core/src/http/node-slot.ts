import type { ClusterState } from '../cluster/cluster-state.js';

/**
 * One request's hold on a node: inFlight goes up on acquire and down exactly once on release,
 * whatever path the request ends on (success, failover, client disconnect).
 */
export interface NodeSlot {
  release(): void;
}

/** Returns undefined when the node is at its configured concurrency limit. */
export function acquireSlot(cluster: ClusterState, nodeId: string): NodeSlot | undefined {
  const state = cluster.node(nodeId);
  if (!state) return { release() {} };
  if (state.inFlight >= state.capacity) return undefined;
  state.inFlight += 1;
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      state.inFlight = Math.max(0, state.inFlight - 1);
    },
  };
}

/** Short penalty after a failure so new routes steer away before the monitor notices. */
export function coolDown(cluster: ClusterState, nodeId: string, ms = 3000): void {
  const state = cluster.node(nodeId);
  if (state) state.cooldownUntil = Math.max(state.cooldownUntil, Date.now() + ms);
}
