/** Tier ranks: small 0, medium 1, large 2. */
export const TIER_RANK = { small: 0, medium: 1, large: 2 } as const;

/**
 * How well a model tier fits a prompt's complexity, 0..1: complexity 0 wants small (rank 0),
 * 0.5 medium, 1 large; each rank of distance costs half the score.
 */
export function tierFit(tierRank: number, complexity: number): number {
  const distance = Math.abs(tierRank - complexity * 2);
  return distance >= 2 ? 0 : 1 - distance / 2;
}

/**
 * Prior quality mean before any outcome: tiers that fit the complexity start higher, and larger
 * models get a small edge on hard prompts. Only a starting point; evidence takes over quickly
 * because the prior weighs as PRIOR_STRENGTH observations.
 */
export function priorQuality(tierRank: number, complexity: number): number {
  const mean = 0.4 + 0.25 * tierFit(tierRank, complexity) + 0.1 * tierRank * complexity;
  return mean < 0.05 ? 0.05 : Math.min(mean, 0.95);
}

/** Pseudo-observations the prior is worth. */
export const PRIOR_STRENGTH = 2;
