import { ClusterState } from '../cluster/cluster-state.js';
import type { Objective } from '../config/schema.js';
import { Router } from '../routing/router.js';
import { clusterConfig } from '../simulation/cluster-config.js';
import type { HardwareProfile } from '../simulation/hardware.js';
import { serviceTime } from '../simulation/service-time.js';
import { type LabelledTrace, labelOf } from './trace.js';

/**
 * Replays a labelled trace through BROKE's real Router, in order: route each item (every node
 * idle: the decision alone is measured, not queueing), then teach the router what happened — the
 * outcome with the time the node would have taken alone (service-time.ts), and the item's label
 * for the served model as judged feedback. A virtual clock advances by that time; nothing waits.
 */

export interface ReplayOptions {
  /** The machines serving the trace's models (their speeds are what the time terms learn). */
  profiles: readonly HardwareProfile[];
  /** Objective of the profile the replay routes under (default: the built-in balanced one). */
  objective?: Partial<Objective>;
  seed?: number;
  /** Model sizes left out of the config: quality has to be learned from the labels alone. */
  untagged?: boolean;
}

export interface ReplayResult {
  /** Model id that served each item, in trace order. */
  choices: string[];
}

const PROFILE = 'evaluation';

export async function replayRouter(trace: LabelledTrace, options: ReplayOptions): Promise<ReplayResult> {
  const config = clusterConfig(options.profiles, {
    seed: options.seed ?? 1,
    profiles: { [PROFILE]: options.objective ?? {} },
    ...(options.untagged ? { untagged: true } : {}),
  });
  const cluster = new ClusterState(config.nodes);
  let now = 0;
  const router = new Router({ config, cluster, now: () => now });
  const byNode = new Map(options.profiles.map((p) => [p.id, p]));
  const choices: string[] = [];
  try {
    for (const item of trace.items) {
      const decision = router.route(
        { messages: item.messages, model: `broke-${PROFILE}` },
        { team: item.context.team, role: item.context.role, sessionId: item.context.session },
      );
      const profile = byNode.get(decision.nodeId);
      if (!profile) throw new Error(`the router chose node "${decision.nodeId}", which no profile describes`);
      const time = serviceTime(profile, item, 1);
      choices.push(decision.modelId);
      await router.recordOutcome(decision.routeId, {
        success: true,
        latencyMs: time.totalSec * 1000,
        ttftMs: time.ttftSec * 1000,
        tokens: item.outputTokens,
        promptTokens: item.promptTokens,
      });
      await router.feedback(decision.routeId, { score: labelOf(item, decision.modelId).quality });
      now += time.totalSec * 1000;
    }
  } finally {
    await router.close();
  }
  return { choices };
}
