import { describe, expect, it } from 'vitest';
import {
  bestSinglePolicy,
  generateWorkload,
  handMapPolicy,
  macCluster,
  oracleQuality,
  peakOutputRate,
  qualityBound,
  randomPolicy,
  type SimPolicy,
  simulate,
} from '../../src/simulation/index.js';

const profiles = macCluster({ speedup: 20 });
const workload = generateWorkload({ seed: 7, teams: 2, agentsPerTeam: 5, requests: 120 });
const warmup = generateWorkload({ seed: 1007, teams: 2, agentsPerTeam: 5, requests: 20, idPrefix: 'w' });
const byId = new Map(workload.requests.map((r) => [r.id, r]));
const modelOf = new Map(profiles.map((p) => [p.id, p.model]));

/** A schedule's expected quality (the oracle, no judge noise): what the bound is a bound on. */
function expectedQuality(policy: SimPolicy): { makespanSec: number; meanQuality: number } {
  const result = simulate({
    profiles,
    policy,
    workload,
    ...(policy.kind === 'broke' ? { warmup } : {}),
    judgeSeed: 7,
  });
  const total = result.records.reduce((sum, r) => {
    const request = byId.get(r.requestId);
    const model = modelOf.get(r.nodeId);
    if (!request || !model) throw new Error(`unknown record ${r.requestId} on ${r.nodeId}`);
    return sum + oracleQuality(model, request.difficulty);
  }, 0);
  return { makespanSec: result.makespanSec, meanQuality: total / result.records.length };
}

describe('qualityBound', () => {
  it('is never below what a real schedule reached in the same time', () => {
    const policies: SimPolicy[] = [
      { kind: 'baseline', policy: handMapPolicy() },
      { kind: 'baseline', policy: bestSinglePolicy() },
      { kind: 'baseline', policy: randomPolicy(7) },
      { kind: 'broke', model: 'broke-latency', seed: 7 },
      { kind: 'broke', model: 'broke-quality', seed: 7 },
    ];
    for (const policy of policies) {
      const run = expectedQuality(policy);
      const bound = qualityBound(workload, profiles, run.makespanSec).meanQuality;
      expect(bound).toBeGreaterThanOrEqual(run.meanQuality - 1e-9);
    }
  });

  it('rises with the time allowed, up to every request on its best model', () => {
    const unconstrained =
      workload.requests.reduce(
        (sum, r) => sum + Math.max(...profiles.map((p) => oracleQuality(p.model, r.difficulty))),
        0,
      ) / workload.requests.length;
    const values = [5, 10, 20, 40, 80, 1e6].map((t) => qualityBound(workload, profiles, t));
    for (let i = 1; i < values.length; i++)
      expect(values[i]?.meanQuality).toBeGreaterThanOrEqual((values[i - 1]?.meanQuality ?? 0) - 1e-3);
    expect(values[0]?.meanQuality).toBeLessThan(unconstrained - 0.05);
    expect(values.at(-1)?.meanQuality).toBeCloseTo(unconstrained, 6);
    expect(values.at(-1)?.unconstrained).toBeCloseTo(unconstrained, 9);
  });

  it('is 0 when the agents cannot even finish thinking in time', () => {
    expect(qualityBound(workload, profiles, 0.5).meanQuality).toBe(0);
  });

  it('binds on a lone node: it cannot serve everything faster than its peak output rate', () => {
    const only = [profiles[0] as (typeof profiles)[number]];
    const tokens = workload.requests.reduce((sum, r) => sum + r.outputTokens, 0);
    const floor = tokens / peakOutputRate(only[0] as (typeof profiles)[number]);
    const all = qualityBound(workload, only, 1e6).meanQuality;
    // In half the time the node needs for every reply, some requests go unserved (quality 0).
    expect(qualityBound(workload, only, floor / 2).meanQuality).toBeLessThan(all - 0.1);
  });
});
