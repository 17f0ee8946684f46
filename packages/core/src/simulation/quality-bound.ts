import type { HardwareProfile } from './hardware.js';
import { oracleQuality } from './oracle.js';
import type { Workload, WorkloadRequest } from './workload.js';

/**
 * The most mean quality any router could reach on a workload if every answer had to be in by
 * `makespanSec`: a certified upper bound, so a benchmark can say how far a policy is from what is
 * possible at its speed, and that some targets are impossible on a given cluster.
 *
 * Two facts every schedule obeys (the service-time rule, service-time.ts):
 * - **A node's output rate is capped.** A request's decode rate is fixed when it starts, at
 *   d / (1 + slowdown × (active − 1)); with at most `slots` at once the node never produces more
 *   than Σ_{k=1..slots} d / (1 + slowdown × (k − 1)) tokens a second (prefill only lowers it).
 * - **An agent's requests run one after another.** Each takes at least its prefill plus its reply
 *   at the node's single-request rate, and the agent thinks between them.
 *
 * Relaxing both into prices (Lagrange multipliers) gives, for any prices ≥ 0, an upper bound on
 * the best schedule's total quality: each request takes the model that maximises quality minus
 * the prices of the tokens and time it uses, plus the prices times the capacities. Subgradient
 * steps lower it; the smallest value seen is the bound (weak duality: every value is valid).
 * Quality is the oracle's expectation (the judge's noise averages out).
 */
export interface QualityBound {
  makespanSec: number;
  /** Upper bound on mean quality over the workload's requests. */
  meanQuality: number;
  /** Mean quality if every request got its best model (the bound with unlimited time). */
  unconstrained: number;
}

export interface BoundOptions {
  /** Subgradient steps (default 3000). */
  iterations?: number;
}

export function qualityBound(
  workload: Workload,
  profiles: readonly HardwareProfile[],
  makespanSec: number,
  options: BoundOptions = {},
): QualityBound {
  const requests = workload.requests;
  const nodes = profiles.length;
  const n = requests.length;
  const quality = new Float64Array(n * nodes);
  const tokens = new Float64Array(n * nodes); // share of a node's output capacity in makespanSec
  const time = new Float64Array(n * nodes); // share of the agent's time budget
  const agentOf = new Int32Array(n);
  const agentIndex = new Map<string, number>();
  const budget: number[] = [];
  for (const [agentId, list] of Object.entries(workload.byAgent)) {
    agentIndex.set(agentId, budget.length);
    // Think time after every request but the agent's last one.
    const think = list.slice(0, -1).reduce((sum, r) => sum + r.thinkMs / 1000, 0);
    budget.push(makespanSec - think);
  }
  let unconstrained = 0;
  for (let r = 0; r < n; r++) {
    const request = requests[r] as WorkloadRequest;
    const a = agentIndex.get(request.agentId) as number;
    agentOf[r] = a;
    let best = 0;
    for (let j = 0; j < nodes; j++) {
      const p = profiles[j] as HardwareProfile;
      const q = oracleQuality(p.model, request.difficulty);
      quality[r * nodes + j] = q;
      if (q > best) best = q;
      tokens[r * nodes + j] = request.outputTokens / (peakOutputRate(p) * makespanSec);
      const alone =
        request.promptTokens / p.prefillTokensPerSec + request.outputTokens / p.decodeTokensPerSec;
      const left = budget[a] as number;
      time[r * nodes + j] = left > 0 ? alone / left : Number.POSITIVE_INFINITY;
    }
    unconstrained += best;
  }
  if (budget.some((b) => b <= 0)) return { makespanSec, meanQuality: 0, unconstrained: unconstrained / n };

  const nodePrice = new Float64Array(nodes);
  const agentPrice = new Float64Array(budget.length);
  const nodeLoad = new Float64Array(nodes);
  const agentLoad = new Float64Array(budget.length);
  let bound = Number.POSITIVE_INFINITY;
  const iterations = options.iterations ?? 3000;
  for (let it = 0; it < iterations; it++) {
    nodeLoad.fill(0);
    agentLoad.fill(0);
    let value = 0;
    for (let r = 0; r < n; r++) {
      const a = agentOf[r] as number;
      let bestJ = -1;
      let bestValue = 0; // taking nothing is allowed in the relaxation (quality 0)
      for (let j = 0; j < nodes; j++) {
        const k = r * nodes + j;
        const v =
          (quality[k] as number) -
          (nodePrice[j] as number) * (tokens[k] as number) -
          (agentPrice[a] as number) * (time[k] as number);
        if (v > bestValue) {
          bestValue = v;
          bestJ = j;
        }
      }
      value += bestValue;
      if (bestJ >= 0) {
        nodeLoad[bestJ] = (nodeLoad[bestJ] as number) + (tokens[r * nodes + bestJ] as number);
        agentLoad[a] = (agentLoad[a] as number) + (time[r * nodes + bestJ] as number);
      }
    }
    for (let j = 0; j < nodes; j++) value += nodePrice[j] as number;
    for (let a = 0; a < budget.length; a++) value += agentPrice[a] as number;
    if (value < bound) bound = value;
    // Capacities are normalised to 1, so one step size suits every constraint.
    const step = 0.5 / Math.sqrt(it + 1);
    for (let j = 0; j < nodes; j++)
      nodePrice[j] = Math.max(0, (nodePrice[j] as number) + step * ((nodeLoad[j] as number) - 1));
    for (let a = 0; a < budget.length; a++)
      agentPrice[a] = Math.max(0, (agentPrice[a] as number) + step * ((agentLoad[a] as number) - 1));
  }
  return { makespanSec, meanQuality: Math.min(bound, unconstrained) / n, unconstrained: unconstrained / n };
}

/** The most output tokens a second the node can produce (see qualityBound). */
export function peakOutputRate(profile: HardwareProfile): number {
  let rate = 0;
  for (let k = 1; k <= profile.slots; k++)
    rate += profile.decodeTokensPerSec / (1 + profile.batchSlowdown * (k - 1));
  return rate;
}
