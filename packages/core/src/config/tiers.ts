// Model size classes: the one mapping from size to tier (config, scan-models, routing).

/** Model size classes (config `tier`), smallest first. */
export const TIERS = ['small', 'medium', 'large'] as const;

/** Tier ranks: small 0, medium 1, large 2. */
export const TIER_RANK = { small: 0, medium: 1, large: 2 } as const;

/**
 * Where the tiers start, in billions of parameters: small below 10B (1B–8B models), medium from
 * 10B (14B, 27B), large from 30B (32B, 70B). The one mapping from size to tier: the schema derives
 * a missing `tier` with it and `scan-models`/`init` write it (docs/routing.md, "Model size").
 */
export const TIER_FROM_PARAMETERS = { medium: 10, large: 30 } as const;

/** The tier a model of `parameters` billions belongs to. */
export function tierForParameters(parameters: number): (typeof TIERS)[number] {
  if (parameters >= TIER_FROM_PARAMETERS.large) return 'large';
  if (parameters >= TIER_FROM_PARAMETERS.medium) return 'medium';
  return 'small';
}
