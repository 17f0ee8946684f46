import { BUILT_IN_PROFILES } from '../config/built-in-profiles.js';
import type { Objective, RoutingConfig } from '../config/schema.js';

/** All profile names: built-ins plus config `routing.profiles`. */
export function profileNames(routing: RoutingConfig): string[] {
  return [...new Set([...Object.keys(BUILT_IN_PROFILES), ...Object.keys(routing.profiles)])];
}

/**
 * The objective for one route: the profile (config fields merged over the built-in of that name,
 * or over `balanced` for a new name), then `objectiveFor` entries from least to most specific:
 * `team`, `/role`, `team/role`.
 */
export function resolveObjective(
  routing: RoutingConfig,
  profile: string,
  team?: string,
  role?: string,
): Objective {
  const builtIn = (BUILT_IN_PROFILES as Record<string, Objective>)[profile] ?? BUILT_IN_PROFILES.balanced;
  const objective: Objective = { ...builtIn, ...defined(routing.profiles[profile]) };
  const keys: string[] = [];
  if (team !== undefined) keys.push(team);
  if (role !== undefined) keys.push(`/${role}`);
  if (team !== undefined && role !== undefined) keys.push(`${team}/${role}`);
  for (const key of keys) Object.assign(objective, defined(routing.objectiveFor[key]));
  return objective;
}

/** The fields that are set (a partial from YAML may carry explicit undefineds). */
function defined(partial: Partial<Objective> | undefined): Partial<Objective> {
  const out: Partial<Objective> = {};
  if (partial?.latencyWeight !== undefined) out.latencyWeight = partial.latencyWeight;
  if (partial?.qualityTolerance !== undefined) out.qualityTolerance = partial.qualityTolerance;
  return out;
}

/** One line a person can read: what this objective maximises. */
export function describeObjective(objective: Objective, typicalMs: number): string {
  const base = `quality − ${objective.latencyWeight} × extra time / ${Math.round(typicalMs)} ms (a typical request)`;
  return objective.qualityTolerance === undefined
    ? base
    : `${base} among models predicted within ${objective.qualityTolerance} of the best quality`;
}
