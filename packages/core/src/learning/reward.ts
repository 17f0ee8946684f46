import type { Feedback, Outcome } from './outcome.js';

/**
 * How much one observation moves the Beta statistics, in pseudo-observations.
 *
 * - A judged score (outcome `score`, feedback score or thumbs) is the quality signal: weight 1.
 * - An implicit outcome (the request succeeded or failed, nobody judged the answer) is weak
 *   evidence: a model that answers is not necessarily a model that answers well. It counts
 *   IMPLICIT_WEIGHT, and judged feedback on the same route later replaces it (see Router).
 */
export const EXPLICIT_WEIGHT = 1;
export const IMPLICIT_WEIGHT = 0.2;

/** One piece of evidence: a reward in 0..1 and how much it weighs. */
export interface Evidence {
  reward: number;
  weight: number;
  /** Judged (score, thumbs) rather than implied by success or failure. */
  explicit: boolean;
}

/** Evidence of an outcome: a judged score wins (full weight); else success 1 / failure 0, weak. */
export function evidenceOfOutcome(outcome: Outcome): Evidence {
  if (outcome.score !== undefined)
    return { reward: clamp01(outcome.score), weight: EXPLICIT_WEIGHT, explicit: true };
  return { reward: outcome.success ? 1 : 0, weight: IMPLICIT_WEIGHT, explicit: false };
}

/** Evidence of feedback: score or thumbs are judgements (full weight); bare success is implicit. */
export function evidenceOfFeedback(feedback: Feedback): Evidence | undefined {
  if (feedback.score !== undefined)
    return { reward: clamp01(feedback.score), weight: EXPLICIT_WEIGHT, explicit: true };
  if (feedback.thumbs !== undefined)
    return { reward: feedback.thumbs === 'up' ? 1 : 0, weight: EXPLICIT_WEIGHT, explicit: true };
  if (feedback.success !== undefined)
    return { reward: feedback.success ? 1 : 0, weight: IMPLICIT_WEIGHT, explicit: false };
  return undefined;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? (value < 0 ? 0 : Math.min(value, 1)) : 0;
}
