import type { RoutingConfig, Weights } from '../config/schema.js';

/** Built-in scorer weights per profile. Each sums to 1; custom weights are normalised too. */
export const BUILT_IN_PROFILES: Readonly<Record<'quality' | 'balanced' | 'latency', Weights>> = {
  quality: {
    'tier-fit': 0.25,
    'expected-latency': 0.05,
    load: 0.1,
    'warm-model': 0.05,
    'learned-quality': 0.35,
    'session-affinity': 0.1,
    'role-rules': 0.1,
  },
  balanced: {
    'tier-fit': 0.2,
    'expected-latency': 0.15,
    load: 0.15,
    'warm-model': 0.1,
    'learned-quality': 0.25,
    'session-affinity': 0.1,
    'role-rules': 0.05,
  },
  latency: {
    'tier-fit': 0.1,
    'expected-latency': 0.35,
    load: 0.2,
    'warm-model': 0.15,
    'learned-quality': 0.1,
    'session-affinity': 0.05,
    'role-rules': 0.05,
  },
};

/** All profile names: built-ins plus config `routing.profiles`. */
export function profileNames(routing: RoutingConfig): string[] {
  return [...new Set([...Object.keys(BUILT_IN_PROFILES), ...Object.keys(routing.profiles)])];
}

/**
 * Weights for one route: the profile (config overrides merged over the built-in of that name),
 * then `weightsFor` entries from least to most specific: `team`, `/role`, `team/role`.
 */
export function resolveWeights(
  routing: RoutingConfig,
  profile: string,
  team?: string,
  role?: string,
): Weights {
  const weights: Weights = {
    ...(BUILT_IN_PROFILES as Record<string, Weights>)[profile],
    ...routing.profiles[profile],
  };
  const keys: string[] = [];
  if (team !== undefined) keys.push(team);
  if (role !== undefined) keys.push(`/${role}`);
  if (team !== undefined && role !== undefined) keys.push(`${team}/${role}`);
  for (const key of keys) Object.assign(weights, routing.weightsFor[key]);
  return weights;
}
