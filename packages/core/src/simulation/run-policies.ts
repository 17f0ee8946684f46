import { buildCluster, type HardwareProfile, macCluster } from './hardware.js';
import {
  type BaselinePolicy,
  bestSinglePolicy,
  handMapPolicy,
  latencyPolicy,
  leastBusyPolicy,
  randomPolicy,
} from './policies.js';
import { type SimPolicy, type SimulationResult, type SwapPlan, simulate } from './simulator.js';
import { type PolicySummary, summarise } from './summary.js';
import { generateWorkload } from './workload.js';

/** Policy names `simulate` and the cluster benchmark accept. */
export const SIM_POLICIES = [
  'broke-latency',
  'broke-balanced',
  'broke-quality',
  'hand-map',
  'best-single',
  'random',
  'least-busy',
  'latency-based',
] as const;

export interface SimulationPlan {
  nodes: number;
  agents: number;
  requests: number;
  warmup: number;
  seed: number;
  speedup: number;
  policies: readonly string[];
  swap?: SwapPlan;
  /** Agents per team (default 5). */
  agentsPerTeam?: number;
}

export interface PlannedRun {
  summary: PolicySummary;
  result: SimulationResult;
  /** Wall-clock seconds the simulation took. */
  wallSec: number;
}

function baseline(name: string, seed: number): BaselinePolicy | undefined {
  switch (name) {
    case 'hand-map':
      return handMapPolicy();
    case 'best-single':
      return bestSinglePolicy();
    case 'random':
      return randomPolicy(seed);
    case 'least-busy':
      return leastBusyPolicy();
    case 'latency-based':
      return latencyPolicy();
    default:
      return undefined;
  }
}

/** The cluster of a plan: the four Mac presets for 4 nodes, a mix of them otherwise. */
export function planCluster(plan: Pick<SimulationPlan, 'nodes' | 'speedup'>): HardwareProfile[] {
  return plan.nodes === 4
    ? macCluster({ speedup: plan.speedup })
    : buildCluster(plan.nodes, { speedup: plan.speedup });
}

/** Runs every policy of the plan on the same cluster, workload and judge, one after another. */
export function runPlan(plan: SimulationPlan, onRun?: (run: PlannedRun) => void): PlannedRun[] {
  const profiles = planCluster(plan);
  const perTeam = plan.agentsPerTeam ?? 5;
  const teams = Math.max(1, Math.ceil(plan.agents / perTeam));
  const workload = generateWorkload({
    seed: plan.seed,
    teams,
    agentsPerTeam: perTeam,
    requests: plan.requests,
  });
  const warmup =
    plan.warmup > 0
      ? generateWorkload({
          seed: plan.seed + 1_000,
          teams,
          agentsPerTeam: perTeam,
          requests: plan.warmup,
          idPrefix: 'w',
        })
      : undefined;
  return plan.policies.map((name) => {
    const other = baseline(name, plan.seed);
    const policy: SimPolicy = other
      ? { kind: 'baseline', policy: other }
      : { kind: 'broke', model: name, seed: plan.seed };
    const started = performance.now();
    const result = simulate({
      profiles,
      policy,
      workload,
      ...(other || !warmup ? {} : { warmup }),
      judgeSeed: plan.seed,
      ...(plan.swap ? { swap: plan.swap } : {}),
    });
    const run = {
      summary: summarise(result, profiles),
      result,
      wallSec: (performance.now() - started) / 1000,
    };
    onRun?.(run);
    return run;
  });
}
