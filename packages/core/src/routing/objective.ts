import type { Objective } from '../config/schema.js';
import { sampleQuality } from '../learning/learned-quality.js';
import type { Prng } from '../learning/prng.js';

/** Ranking penalty for candidates outside the profile's quality tolerance (they rank last). */
const OUT_OF_TOLERANCE = 1000;
/** Standard deviations of optimism an exploring pick must clear (see pickByObjective). */
const EXPLORE_Z = 2;

/** The picker's working arrays for one route, by kept position k. */
export interface ObjectiveScratch {
  /** Objective value per candidate (what the explanation shows). */
  utility: Float64Array;
  /** Ranking key: utility, minus OUT_OF_TOLERANCE outside the tolerance. */
  rank: Float64Array;
  /** Sampled quality on exploring routes. */
  sampled: Float64Array;
  /** Model index of each kept candidate (filled by the caller on exploring routes). */
  modelAt: Int32Array;
  /** Sampled deviation from the mean per model index. */
  deviation: Float64Array;
}

export interface ObjectivePick {
  /** Position of the candidate to serve. */
  chosen: number;
  /** Position the predictions alone (no exploration) would serve. */
  best: number;
  /** Fastest predicted time among the candidates. */
  fastestMs: number;
}

/**
 * quality − λ · (time − fastest) / typical: λ quality points per typical request's worth of extra
 * time. Absolute extra time, not a ratio: a long request held up on a slow node costs the agent
 * (and everyone queued behind it) more than a short one, which is what closed-loop agent teams
 * feel as makespan. Dividing by the cluster's typical request time keeps λ independent of how
 * fast the machines are.
 */
export function utilityOf(
  quality: number,
  timeMs: number,
  fastestMs: number,
  typicalMs: number,
  objective: Objective,
): number {
  return quality - (objective.latencyWeight * (timeMs - fastestMs)) / typicalMs;
}

/**
 * Applies the objective to the predictions. On exploring routes each candidate's quality is a
 * Thompson sample from its posterior; the sampled winner is served only when its optimistic
 * value (mean + 2 sd) could beat the predicted winner, so exploration goes where uncertainty
 * could change the decision and never to a candidate that is clearly worse (a greeting is not
 * sent to a slow 70B to "learn" about it).
 */
export function pickByObjective(
  quality: Float64Array,
  strength: Float64Array,
  timeMs: Float64Array,
  count: number,
  objective: Objective,
  typicalMs: number,
  explore: boolean,
  rng: Prng,
  scratch: ObjectiveScratch,
): ObjectivePick {
  let fastestMs = Number.POSITIVE_INFINITY;
  for (let k = 0; k < count; k++) if ((timeMs[k] as number) < fastestMs) fastestMs = timeMs[k] as number;
  // Before the router knows what is typical, this request's fastest time stands in.
  if (!(typicalMs > 0)) typicalMs = fastestMs;
  const best = rankInto(
    quality,
    timeMs,
    count,
    fastestMs,
    typicalMs,
    objective,
    scratch.utility,
    scratch.rank,
  );
  if (!explore || count < 2) return { chosen: best, best, fastestMs };

  const { sampled } = scratch;
  // One draw per model, not per candidate (thousands of nodes serve a handful of models, and the
  // uncertainty is about the model): each candidate moves by its model's sampled deviation.
  const { deviation, modelAt } = scratch;
  deviation.fill(Number.NaN);
  for (let k = 0; k < count; k++) {
    const m = modelAt[k] as number;
    const q = quality[k] as number;
    if (Number.isNaN(deviation[m] as number)) deviation[m] = sampleQuality(q, strength[k] as number, rng) - q;
    const value = q + (deviation[m] as number);
    sampled[k] = value < 0 ? 0 : Math.min(value, 1);
  }
  const utility = scratch.utility;
  const bestUtility = utility[best] as number;
  // Rank by the samples into the sampled array's own space (utility/rank are restored below).
  let chosen = best;
  let chosenValue = Number.NEGATIVE_INFINITY;
  let sampledMax = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < count; k++) if ((sampled[k] as number) > sampledMax) sampledMax = sampled[k] as number;
  const tolerance = objective.qualityTolerance;
  for (let k = 0; k < count; k++) {
    const q = sampled[k] as number;
    if (tolerance !== undefined && q < sampledMax - tolerance) continue;
    const value = utilityOf(q, timeMs[k] as number, fastestMs, typicalMs, objective);
    if (value > chosenValue) {
      chosenValue = value;
      chosen = k;
    }
  }
  if (chosen !== best) {
    const q = quality[chosen] as number;
    const s = strength[chosen] as number;
    const sd = Math.sqrt((q * (1 - q)) / (s + 1));
    const hopeful = q + EXPLORE_Z * sd;
    const optimistic = utilityOf(
      Math.min(hopeful, 1),
      timeMs[chosen] as number,
      fastestMs,
      typicalMs,
      objective,
    );
    if (optimistic < bestUtility) chosen = best;
  }
  return { chosen, best, fastestMs };
}

/** Fills utility and rank; returns the position with the best rank (first on ties). */
function rankInto(
  quality: Float64Array,
  timeMs: Float64Array,
  count: number,
  fastestMs: number,
  typicalMs: number,
  objective: Objective,
  utility: Float64Array,
  rank: Float64Array,
): number {
  let bestQuality = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < count; k++)
    if ((quality[k] as number) > bestQuality) bestQuality = quality[k] as number;
  const floor =
    objective.qualityTolerance === undefined
      ? Number.NEGATIVE_INFINITY
      : bestQuality - objective.qualityTolerance;
  let best = 0;
  for (let k = 0; k < count; k++) {
    const value = utilityOf(quality[k] as number, timeMs[k] as number, fastestMs, typicalMs, objective);
    utility[k] = value;
    rank[k] = (quality[k] as number) >= floor ? value : value - OUT_OF_TOLERANCE;
    if ((rank[k] as number) > (rank[best] as number)) best = k;
  }
  return best;
}
