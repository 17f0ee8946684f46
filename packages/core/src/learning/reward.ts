import type { Feedback, Outcome } from '../routing/types.js';

/**
 * Reward in 0..1 for the Beta statistics. A judged score wins; otherwise success counts 1 and
 * failure 0. Returns undefined when there is nothing to learn from.
 */
export function rewardOfOutcome(outcome: Outcome): number {
  if (outcome.score !== undefined) return clamp01(outcome.score);
  return outcome.success ? 1 : 0;
}

export function rewardOfFeedback(feedback: Feedback): number | undefined {
  if (feedback.score !== undefined) return clamp01(feedback.score);
  if (feedback.thumbs !== undefined) return feedback.thumbs === 'up' ? 1 : 0;
  if (feedback.success !== undefined) return feedback.success ? 1 : 0;
  return undefined;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? (value < 0 ? 0 : Math.min(value, 1)) : 0;
}
