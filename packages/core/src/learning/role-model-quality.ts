import { ANY, type QualityStat } from './quality-stat.js';
import { type QualityTemperature, qualityTemperature } from './quality-temperature.js';

/**
 * What feedback and outcomes taught about one model for one role (or, with role `*`, for
 * everyone), summed over task types and difficulty bands, with a 95% confidence band.
 */
export interface RoleModelQuality {
  /** Lower-case role as learned, or `*` for the model across every role. */
  role: string;
  modelId: string;
  /** Posterior mean 0..1 of the learned evidence alone (uniform prior, no size prior). */
  mean: number;
  low: number;
  high: number;
  /** Evidence behind it, in judged observations (discounted as it ages; an implicit failure weighs 0.2, a success nothing). */
  evidence: number;
  /** Observations folded in (outcomes and feedback). */
  n: number;
  temperature: QualityTemperature | undefined;
  /** ms epoch of the newest evidence. */
  updatedAt: number;
}

/** z of a two-sided 95% interval. */
const Z95 = 1.96;

/**
 * Per (role, model): the role-level statistics `('*', role, taskType)` summed over task types and
 * bands, and per model the global ones `('*', '*', '*')` as role `*`. The band is the normal
 * approximation of Beta(α + 1, β + 1): cheap, and honest enough for a picture.
 */
export function roleModelQuality(stats: Iterable<QualityStat>): RoleModelQuality[] {
  const sums = new Map<
    string,
    { role: string; modelId: string; a: number; b: number; n: number; at: number }
  >();
  for (const s of stats) {
    if (s.team !== ANY) continue;
    const global = s.role === ANY && s.taskType === ANY;
    const role = s.role !== ANY && s.taskType !== ANY;
    if (!global && !role) continue;
    const key = `${s.role}\u0001${s.modelId}`;
    let sum = sums.get(key);
    if (!sum) {
      sum = { role: s.role, modelId: s.modelId, a: 0, b: 0, n: 0, at: 0 };
      sums.set(key, sum);
    }
    sum.a += s.alpha;
    sum.b += s.beta;
    sum.n += s.n;
    sum.at = Math.max(sum.at, s.updatedAt);
  }
  const out: RoleModelQuality[] = [];
  for (const s of sums.values()) {
    const evidence = s.a + s.b;
    const mean = (s.a + 1) / (evidence + 2);
    const half = Z95 * Math.sqrt((mean * (1 - mean)) / (evidence + 3));
    const q = {
      role: s.role,
      modelId: s.modelId,
      mean: round(mean),
      low: round(Math.max(0, mean - half)),
      high: round(Math.min(1, mean + half)),
      evidence: round(evidence),
      n: s.n,
      updatedAt: s.at,
    };
    out.push({ ...q, temperature: qualityTemperature(q) });
  }
  // Everyone's line first, then by role; within a role by model.
  return out.sort(
    (x, y) =>
      Number(x.role !== ANY) - Number(y.role !== ANY) ||
      x.role.localeCompare(y.role) ||
      x.modelId.localeCompare(y.modelId),
  );
}

const round = (x: number) => Math.round(x * 1000) / 1000;
