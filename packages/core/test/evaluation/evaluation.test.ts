import { beforeAll, describe, expect, it } from 'vitest';
import {
  apgr,
  type EvaluationReport,
  evaluateRouting,
  frontier,
  generateTrace,
  type LabelledTrace,
  LabelledTraceSchema,
  operatingPoint,
  oracleFrontier,
  pgrAt,
  regretCurve,
  replayRouter,
  traceScale,
} from '../../src/evaluation/index.js';
import { macCluster } from '../../src/simulation/hardware.js';

// The routing evaluation harness on a generated trace, through the real Router (no nodes: the
// replay measures routing decisions only, every candidate idle).

const profiles = macCluster();

describe('labelled trace', () => {
  it('is the same for the same seed and different for another', () => {
    const a = generateTrace({ seed: 7, requests: 120 });
    expect(generateTrace({ seed: 7, requests: 120 })).toEqual(a);
    const b = generateTrace({ seed: 8, requests: 120 });
    expect(b.items.map((i) => i.messages)).not.toEqual(a.items.map((i) => i.messages));
  });

  it('labels every model on every item, and its schema accepts it', () => {
    const trace = generateTrace({ seed: 3, requests: 60 });
    expect(LabelledTraceSchema.parse(trace)).toEqual(trace);
    expect(trace.models.map((m) => m.id).sort()).toEqual(
      [...new Set(profiles.map((p) => p.model.id))].sort(),
    );
    for (const item of trace.items) {
      expect(Object.keys(item.labels).sort()).toEqual(trace.models.map((m) => m.id).sort());
      expect(item.context.team).not.toBe('');
      expect(item.context.role).not.toBe('');
    }
    // The labels come from the oracle: on hard work the largest model succeeds more than the smallest.
    const hard = trace.items.filter((i) => i.difficultyClass === 'hard');
    const rate = (id: string) => hard.filter((i) => i.labels[id]?.success).length / hard.length;
    const bySize = [...trace.models].sort((x, y) => x.parameters - y.parameters);
    expect(rate((bySize.at(-1) as { id: string }).id)).toBeGreaterThan(
      rate((bySize[0] as { id: string }).id),
    );
  });
});

describe('quality at cost', () => {
  it('APGR of the diagonal is one half, of a perfect router one', () => {
    expect(apgr([{ cost: 1, pgr: 1 }])).toBeCloseTo(0.5, 12);
    expect(apgr([{ cost: 0, pgr: 1 }])).toBeCloseTo(1, 12);
    // A dominated point does not lower the curve.
    expect(
      apgr([
        { cost: 0.5, pgr: 0.9 },
        { cost: 0.8, pgr: 0.4 },
      ]),
    ).toBeCloseTo(0.5 * 0.5 * 0.9 + 0.5 * 0.9, 12);
  });
});

describe('evaluation on a generated trace', () => {
  let trace: LabelledTrace;
  let report: EvaluationReport;
  beforeAll(async () => {
    trace = generateTrace({ seed: 1, requests: 600 });
    report = await evaluateRouting(trace, { profiles, seed: 1, latencyWeights: [0, 0.02, 0.08, 0.3, 2] });
  });

  it('the oracle is at least as good as every policy at equal cost', () => {
    const oracle = frontier(report.oracle.points);
    let checked = 0;
    for (const policy of report.policies)
      for (const p of policy.points) {
        expect(pgrAt(oracle, p.cost), `${policy.policy} ${p.setting}`).toBeGreaterThanOrEqual(p.pgr - 1e-9);
        checked++;
      }
    expect(checked).toBeGreaterThan(20);
    for (const policy of report.policies) expect(report.oracle.apgr).toBeGreaterThanOrEqual(policy.apgr);
  });

  it("the random router's PGR follows its cost share", () => {
    const random = report.policies.find((p) => p.policy === 'random');
    expect(random?.points.length).toBeGreaterThan(5);
    for (const p of random?.points ?? []) {
      expect(Math.abs(p.pgr - p.cost)).toBeLessThan(0.12);
      expect(Math.abs(p.strongShare - p.cost)).toBeLessThan(0.12);
    }
    expect(random?.apgr).toBeGreaterThan(0.4);
    expect(random?.apgr).toBeLessThan(0.6);
  });

  it("BROKE's learned routing beats random on quality at cost", () => {
    const random = report.policies.find((p) => p.policy === 'random')?.apgr ?? Number.NaN;
    const broke = report.policies.find((p) => p.policy === 'broke (sizes in config)')?.apgr ?? Number.NaN;
    expect(broke).toBeGreaterThan(random);
  });

  it('learned routing regrets less in the second half of the trace than in the first', async () => {
    // Model sizes left out of the config: what it knows about quality, it learned from the labels.
    const { choices } = await replayRouter(trace, {
      profiles,
      objective: { latencyWeight: 0.005 },
      untagged: true,
    });
    const scale = traceScale(trace);
    const oracle = oracleFrontier(trace, scale);
    const regret = regretCurve(trace, choices, oracle.within(operatingPoint(trace, choices, scale).cost));
    expect(regret.quality.secondHalfMean).toBeLessThan(regret.quality.firstHalfMean);
    expect(regret.priced.secondHalfMean).toBeLessThan(regret.priced.firstHalfMean);
    // Priced regret is never negative: the oracle's choice is the best trade on every item.
    for (const r of regret.priced.perRequest) expect(r).toBeGreaterThanOrEqual(-1e-12);
    expect(regret.quality.cumulative.at(-1)).toBeCloseTo(
      regret.quality.perRequest.reduce((a, b) => a + b, 0),
      9,
    );
  });
});
