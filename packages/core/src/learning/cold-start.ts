import type { TaskType } from '../context/agent-context.js';

/** Tier ranks: small 0, medium 1, large 2. */
export const TIER_RANK = { small: 0, medium: 1, large: 2 } as const;

/** Parameters (billions) assumed for a tier when the config does not say. */
const TIER_PARAMETERS = [3, 14, 70] as const;

/**
 * Capability 0..1 of a model from its size: log-scaled parameters, so 3B ≈ 0.47, 7B ≈ 0.6,
 * 14B ≈ 0.7, 70B ≈ 0.95, 100B and up 1. Size is the best public predictor of quality on hard
 * prompts; learned evidence corrects it for the models and prompts at hand.
 */
export function capabilityOf(parameters: number | undefined, tierRank: number): number {
  const params = parameters ?? TIER_PARAMETERS[tierRank] ?? 14;
  const capability = 0.3 + 0.35 * Math.log10(Math.max(params, 0.1));
  return capability < 0.1 ? 0.1 : Math.min(capability, 1);
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

/**
 * Prior quality mean before any evidence: every model does well on easy prompts and the gap
 * grows with difficulty, faster for weaker models. A 70B stays near 0.9 on hard prompts where a
 * 3B falls to about 0.35. Only a starting point: evidence moves it (learned-quality.ts).
 */
export function priorQuality(capability: number, complexity: number, taskType: TaskType = 'chat'): number {
  const gap = (1 - capability) * (0.3 + 0.9 * complexity) * GAP_SENSITIVITY[taskType];
  const mean = 0.95 - gap;
  return mean < 0.05 ? 0.05 : Math.min(mean, 0.95);
}
