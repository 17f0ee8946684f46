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
/** Evidence (in judged observations; an implicit outcome counts 0.2) before any colour shows. */
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
