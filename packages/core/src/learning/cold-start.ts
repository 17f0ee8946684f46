import { TIER_FROM_PARAMETERS } from '../config/tiers.js';
import type { TaskType } from '../context/agent-context.js';

/** Parameters (billions) assumed for a tier when the config does not say. */
const TIER_PARAMETERS = [3, 14, 70] as const;

const CAPABILITY_MIN = 0.1;
const sizeCapability = (params: number) => 0.3 + 0.35 * Math.log10(Math.max(params, 1e-9));

/**
 * Below this size (≈0.27B) the size prior bottoms out: every smaller model gets the same
 * capability, so sizes alone cannot rank them (toy and test models). scan-models then ranks them
 * within the cluster instead (model-facts/tiers.ts).
 */
export const SIZE_PRIOR_FLOOR_PARAMETERS = 10 ** ((CAPABILITY_MIN - 0.3) / 0.35);

/** Capability band per tier rank: a tier is a size class, [from its lower bound, to the next one's). */
const TIER_BAND = [
  [CAPABILITY_MIN, sizeCapability(TIER_FROM_PARAMETERS.medium)],
  [sizeCapability(TIER_FROM_PARAMETERS.medium), sizeCapability(TIER_FROM_PARAMETERS.large)],
  [sizeCapability(TIER_FROM_PARAMETERS.large), 1],
] as const;

/**
 * Capability 0..1 of a model from its size: log-scaled parameters, so 3B ≈ 0.47, 7B ≈ 0.6,
 * 14B ≈ 0.7, 70B ≈ 0.95, 100B and up 1. Size is the best public predictor of quality on hard
 * prompts; learned evidence corrects it for the models and prompts at hand. The tier is the size
 * class and wins: parameters place a model inside its tier's band, so a tier the user set (or
 * scan-models ranked) is never overruled by the parameter count; a tier derived from parameters
 * leaves the value unchanged.
 */
export function capabilityOf(parameters: number | undefined, tierRank: number): number {
  const band = TIER_BAND[tierRank] ?? TIER_BAND[1];
  const capability = sizeCapability(parameters ?? TIER_PARAMETERS[tierRank] ?? 14);
  return Math.min(Math.max(capability, band[0]), band[1]);
}

/** How much the capability gap matters per task type: reasoning-heavy work separates models more. */
const GAP_SENSITIVITY: Record<TaskType, number> = {
  code: 1.15,
  math: 1.2,
  reasoning: 1.15,
  summarization: 0.9,
  translation: 0.9,
  extraction: 0.85,
  creative: 0.9,
  chat: 0.8,
};

/** Below this complexity a prompt is trivial: a greeting, a thank-you, a one-line fact. */
const TRIVIAL_BELOW = 0.1;

/**
 * How much model capability matters at this complexity: from the easy class up it grows
 * linearly; below it, it falls to nothing (quadratically), since any model answers "Hi!" or
 * "Thanks!" as well as the largest one, and the gap would otherwise send greetings to a slow 70B.
 */
function difficultyWeight(complexity: number): number {
  const weight = 0.3 + 0.9 * complexity;
  if (complexity >= TRIVIAL_BELOW) return weight;
  const edge = 0.3 + 0.9 * TRIVIAL_BELOW;
  const t = Math.max(complexity, 0) / TRIVIAL_BELOW;
  return edge * t * t;
}

/**
 * Prior quality mean before any evidence: every model does well on trivial prompts and the gap
 * grows with difficulty, faster for weaker models. A 70B stays near 0.9 on hard prompts where a
 * 3B falls to about 0.35. Only a starting point: evidence moves it (learned-quality.ts).
 */
export function priorQuality(capability: number, complexity: number, taskType: TaskType = 'chat'): number {
  const gap = (1 - capability) * difficultyWeight(complexity) * GAP_SENSITIVITY[taskType];
  const mean = 0.95 - gap;
  return mean < 0.05 ? 0.05 : Math.min(mean, 0.95);
}
