import type { HardwareProfile } from '../simulation/hardware.js';
import { randomChoices, singleModelChoices } from './baselines.js';
import { oracleFrontier } from './oracle-frontier.js';
import { apgr, type OperatingPoint, operatingPoint, type TraceScale, traceScale } from './quality-at-cost.js';
import { type RegretCurve, regretCurve } from './regret.js';
import { replayRouter } from './replay.js';
import type { LabelledTrace } from './trace.js';

/**
 * The whole evaluation of one trace: the oracle's envelope, BROKE's router with its latency
 * weight swept (one fresh router per weight, each learning from the trace as it replays it; with
 * model sizes in the config and without), the random router and every single model, each reduced
 * to operating points and an APGR; and regret over time of BROKE's named profiles.
 */

/** Latency weights swept to trace BROKE's curve (the built-ins: quality 0.005, balanced 0.04, latency 0.3). */
export const DEFAULT_LATENCY_WEIGHTS: readonly number[] = [
  0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3, 0.6, 1.5, 4, 10,
];
/** Strong-model shares of the random router. */
export const DEFAULT_RANDOM_SHARES: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
/** Profiles whose regret over time is reported. */
const REGRET_WEIGHTS: Readonly<Record<string, number>> = { quality: 0.005, balanced: 0.04 };

export interface SettingPoint extends OperatingPoint {
  /** What produced the point: a latency weight, a strong share, a model id. */
  setting: string;
}

export interface PolicyCurve {
  policy: string;
  points: SettingPoint[];
  apgr: number;
}

export interface RegretReport {
  /** e.g. `broke-balanced (sizes in config)`. */
  policy: string;
  point: OperatingPoint;
  curve: RegretCurve;
}

export interface EvaluationReport {
  scale: TraceScale;
  oracle: PolicyCurve;
  policies: PolicyCurve[];
  regret: RegretReport[];
}

export interface EvaluationOptions {
  profiles: readonly HardwareProfile[];
  seed: number;
  latencyWeights?: readonly number[];
  randomShares?: readonly number[];
}

function curve(policy: string, points: SettingPoint[]): PolicyCurve {
  return { policy, points, apgr: apgr(points) };
}

export async function evaluateRouting(
  trace: LabelledTrace,
  options: EvaluationOptions,
): Promise<EvaluationReport> {
  const scale = traceScale(trace);
  const oracle = oracleFrontier(trace, scale);
  const policies: PolicyCurve[] = [];
  const regret: RegretReport[] = [];

  for (const untagged of [false, true]) {
    const label = `broke (sizes ${untagged ? 'unknown' : 'in config'})`;
    const weights = [
      ...new Set([...(options.latencyWeights ?? DEFAULT_LATENCY_WEIGHTS), ...Object.values(REGRET_WEIGHTS)]),
    ];
    const points: SettingPoint[] = [];
    for (const latencyWeight of weights) {
      const { choices } = await replayRouter(trace, {
        profiles: options.profiles,
        objective: { latencyWeight },
        seed: options.seed,
        untagged,
      });
      const point = operatingPoint(trace, choices, scale);
      points.push({ ...point, setting: `λ=${latencyWeight}` });
      for (const [name, w] of Object.entries(REGRET_WEIGHTS))
        if (w === latencyWeight)
          regret.push({
            policy: `broke-${name} (sizes ${untagged ? 'unknown' : 'in config'})`,
            point,
            curve: regretCurve(trace, choices, oracle.within(point.cost)),
          });
    }
    policies.push(
      curve(
        label,
        points.sort((a, b) => a.cost - b.cost),
      ),
    );
  }

  policies.push(
    curve(
      'random',
      (options.randomShares ?? DEFAULT_RANDOM_SHARES).map((strongShare) => ({
        ...operatingPoint(
          trace,
          randomChoices(trace, {
            strongShare,
            seed: options.seed,
            weakest: scale.weakest.id,
            strongest: scale.strongest.id,
          }),
          scale,
        ),
        setting: `p=${strongShare}`,
      })),
    ),
  );
  policies.push(
    curve(
      'best single model',
      trace.models.map((m) => ({
        ...operatingPoint(trace, singleModelChoices(trace, m.id), scale),
        setting: m.id,
      })),
    ),
  );

  return {
    scale,
    oracle: curve(
      'oracle',
      oracle.points.map((p, i) => ({ ...p, setting: `vertex ${i}` })),
    ),
    policies,
    regret,
  };
}
