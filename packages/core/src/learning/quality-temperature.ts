/**
 * A learned quality as one word a person reads at a glance (the dashboard's temperature column):
 *
 * - green:  even the pessimistic end of the confidence band is good (low ≥ 0.6);
 * - red:    even the optimistic end is poor (high < 0.4);
 * - yellow: undecided, leaning good (mean ≥ 0.5);
 * - orange: undecided, leaning poor (mean < 0.5);
 * - undefined: less than MIN_TEMPERATURE_EVIDENCE of evidence, nothing to say yet.
 *
 * So a colour only turns green or red once the evidence is strong enough to rule the other way
 * out, and a model with a handful of mixed judgements stays yellow or orange.
 */
export type QualityTemperature = 'green' | 'yellow' | 'orange' | 'red';

/** Thresholds of the temperature (exported so the docs and the dashboard's legend say the same). */
export const TEMPERATURE_GOOD = 0.6;
export const TEMPERATURE_POOR = 0.4;
/** Evidence (in judged observations; an implicit failure counts 0.2, a success nothing) before any colour shows. */
export const MIN_TEMPERATURE_EVIDENCE = 1;

export function qualityTemperature(q: {
  mean: number;
  low: number;
  high: number;
  evidence: number;
}): QualityTemperature | undefined {
  if (!(q.evidence >= MIN_TEMPERATURE_EVIDENCE)) return undefined;
  if (q.low >= TEMPERATURE_GOOD) return 'green';
  if (q.high < TEMPERATURE_POOR) return 'red';
  return q.mean >= 0.5 ? 'yellow' : 'orange';
}

const ORDER: readonly QualityTemperature[] = ['green', 'yellow', 'orange', 'red'];
const atLeast = (t: QualityTemperature, floor: QualityTemperature): QualityTemperature =>
  ORDER.indexOf(t) >= ORDER.indexOf(floor) ? t : floor;
const warmer = (t: QualityTemperature): QualityTemperature =>
  ORDER[Math.min(ORDER.indexOf(t) + 1, ORDER.length - 1)] as QualityTemperature;

/** What a route's temperature reads (all of it is in the route's explanation). */
export interface RouteTemperatureInput {
  /** The chosen model's predicted quality 0..1 for this context. */
  quality: number;
  /** Pseudo-observations behind that prediction (prior strength plus judged evidence). */
  strength: number;
  /** Judged evidence of this model in this context (strength less the prior). */
  evidence: number;
  /** The prompt's complexity 0..1 (analysis/complexity.ts). */
  complexity: number;
  tier: 'small' | 'medium' | 'large';
  /** A later attempt served it: the router's first choice failed. */
  fellBack: boolean;
}

export interface TemperatureThresholds {
  good: number;
  poor: number;
  hardComplexity: number;
  trustedEvidence: number;
}

export const DEFAULT_TEMPERATURE_THRESHOLDS: TemperatureThresholds = {
  good: TEMPERATURE_GOOD,
  poor: TEMPERATURE_POOR,
  hardComplexity: 0.65,
  trustedEvidence: 5,
};

/**
 * The temperature of one answer (the `x-broke-quality-temperature` header): the band of the
 * chosen model's predicted quality (normal approximation of a Beta with `strength`
 * pseudo-observations) read as `qualityTemperature` reads it; then a small-tier model on a hard
 * prompt is at least orange until `trustedEvidence` judgements say otherwise (its prior is a
 * guess from size); then a fallback is one step warmer (the router's choice failed, a second
 * best served). Always a colour; green and red need judged evidence, the prior alone says
 * yellow or orange.
 */
export function routeTemperature(
  r: RouteTemperatureInput,
  t: TemperatureThresholds = DEFAULT_TEMPERATURE_THRESHOLDS,
): QualityTemperature {
  const q = Math.min(1, Math.max(0, r.quality));
  const half = 1.96 * Math.sqrt((q * (1 - q)) / (Math.max(r.strength, 0) + 1));
  const low = q - half;
  const high = q + half;
  const judged = r.evidence >= MIN_TEMPERATURE_EVIDENCE;
  let temperature: QualityTemperature =
    judged && low >= t.good ? 'green' : judged && high < t.poor ? 'red' : q >= 0.5 ? 'yellow' : 'orange';
  if (r.tier === 'small' && r.complexity >= t.hardComplexity && r.evidence < t.trustedEvidence)
    temperature = atLeast(temperature, 'orange');
  if (r.fellBack) temperature = warmer(temperature);
  return temperature;
}
