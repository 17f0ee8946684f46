import type { Feedback, Outcome } from './outcome.js';

/**
 * How much one observation moves the Beta statistics, in pseudo-observations.
 *
 * - A judged score (outcome `score`, feedback score or thumbs) is the quality signal: weight 1.
 * - An implicit failure (the request failed, nobody judged it) is weak evidence of a bad answer:
 *   IMPLICIT_WEIGHT, replaced by judged feedback on the same route later (see Router).
 * - An implicit success says the model answered, not how well: no quality evidence at all.
 *   Counted as quality 1, it made every model that answers look perfect under traffic with no
 *   judge, and the models served most rose above better ones (a small model routed by a latency
 *   profile then won the quality profile's hard prompts too).
 */
export const EXPLICIT_WEIGHT = 1;
export const IMPLICIT_WEIGHT = 0.2;

/** The weight of an implicit outcome: a failure counts, a success says nothing about quality. */
export function implicitWeight(success: boolean): number {
  return success ? 0 : IMPLICIT_WEIGHT;
}

/** One piece of evidence: a reward in 0..1 and how much it weighs. */
export interface Evidence {
  reward: number;
  weight: number;
  /** Judged (score, thumbs) rather than implied by success or failure. */
  explicit: boolean;
}

/** Evidence of an outcome: a judged score wins (full weight); else failure 0 (weak), success nothing. */
export function evidenceOfOutcome(outcome: Outcome): Evidence {
  if (outcome.score !== undefined)
    return { reward: clamp01(outcome.score), weight: EXPLICIT_WEIGHT, explicit: true };
  return { reward: outcome.success ? 1 : 0, weight: implicitWeight(outcome.success), explicit: false };
}

/** Evidence of feedback: score or thumbs are judgements (full weight); bare success is implicit. */
export function evidenceOfFeedback(feedback: Feedback): Evidence | undefined {
  if (feedback.score !== undefined)
    return { reward: clamp01(feedback.score), weight: EXPLICIT_WEIGHT, explicit: true };
  if (feedback.thumbs !== undefined)
    return { reward: feedback.thumbs === 'up' ? 1 : 0, weight: EXPLICIT_WEIGHT, explicit: true };
  if (feedback.success !== undefined)
    return { reward: feedback.success ? 1 : 0, weight: implicitWeight(feedback.success), explicit: false };
  return undefined;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? (value < 0 ? 0 : Math.min(value, 1)) : 0;
}
