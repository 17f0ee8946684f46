import type { HardwareProfile } from './hardware.js';
import { Rng } from './random.js';
import type { AgentRole, WorkloadRequest } from './workload.js';

/** What a baseline policy sees of a node when it picks one. */
export interface NodeView {
  profile: HardwareProfile;
  active: number;
  queued: number;
  /** Mean response time of its recent requests (s), NaN before any. */
  recentLatencySec: number;
}

/** A routing policy other than BROKE's router: picks a node index for a request. */
export interface BaselinePolicy {
  readonly name: string;
  pick(request: WorkloadRequest, nodes: readonly NodeView[]): number;
}

/**
 * A careful hand-written role → model-size map, as a team would write it: reviewers and
 * architects on the biggest model, analysts and researchers on the next, the rest smaller.
 * Among nodes serving the chosen size, the least busy.
 */
export const HAND_MAP: Readonly<Record<AgentRole, 'largest' | 'second' | 'third' | 'smallest'>> = {
  architect: 'largest',
  code_reviewer: 'largest',
  data_analyst: 'second',
  researcher: 'second',
  writer: 'third',
  support: 'smallest',
};

function bySize(nodes: readonly NodeView[]): number[] {
  return [...new Set(nodes.map((n) => n.profile.model.parameters))].sort((a, b) => b - a);
}

function leastBusyOf(nodes: readonly NodeView[], keep: (n: NodeView) => boolean): number {
  let best = -1;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i] as NodeView;
    if (!keep(n)) continue;
    const load = (n.active + n.queued) / n.profile.slots;
    const b = nodes[best];
    if (!b || load < (b.active + b.queued) / b.profile.slots) best = i;
  }
  return Math.max(best, 0);
}

export function handMapPolicy(): BaselinePolicy {
  return {
    name: 'hand-map',
    pick(request, nodes) {
      const sizes = bySize(nodes);
      const rank = { largest: 0, second: 1, third: 2, smallest: sizes.length - 1 }[HAND_MAP[request.role]];
      const size = sizes[Math.min(rank, sizes.length - 1)];
      return leastBusyOf(nodes, (n) => n.profile.model.parameters === size);
    },
  };
}

export function bestSinglePolicy(): BaselinePolicy {
  return {
    name: 'best-single',
    pick(_request, nodes) {
      const largest = bySize(nodes)[0];
      return leastBusyOf(nodes, (n) => n.profile.model.parameters === largest);
    },
  };
}

/** Uniform random (LiteLLM simple-shuffle, Portkey load balance with equal weights). */
export function randomPolicy(seed: number): BaselinePolicy {
  const rng = new Rng(seed);
  return { name: 'random', pick: (_request, nodes) => rng.int(0, nodes.length - 1) };
}

/** Fewest requests in flight (LiteLLM least-busy). */
export function leastBusyPolicy(): BaselinePolicy {
  return {
    name: 'least-busy',
    pick(_request, nodes) {
      let best = 0;
      for (let i = 1; i < nodes.length; i++) {
        const n = nodes[i] as NodeView;
        const b = nodes[best] as NodeView;
        if (n.active + n.queued < b.active + b.queued) best = i;
      }
      return best;
    },
  };
}

/** Lowest recent response time, untried nodes first (LiteLLM latency-based routing). */
export function latencyPolicy(): BaselinePolicy {
  return {
    name: 'latency-based',
    pick(_request, nodes) {
      let best = 0;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i] as NodeView;
        if (Number.isNaN(n.recentLatencySec)) return i;
        if (n.recentLatencySec < (nodes[best] as NodeView).recentLatencySec) best = i;
      }
      return best;
    },
  };
}
