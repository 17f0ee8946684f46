/** The model a client sends when it lets BROKE choose with the default profile. */
export const AUTO_MODEL = 'broke-auto';
export const VIRTUAL_PREFIX = 'broke-';

export type ModelSelection =
  | { kind: 'auto' }
  | { kind: 'profile'; profile: string }
  | { kind: 'pinned'; modelId: string }
  | { kind: 'unknown'; model: string };

/**
 * What RouteRequest.model asks for: `broke-auto` (or nothing) → default profile,
 * `broke-<profile>` → that profile, a known model id → pinned, anything else → unknown (404).
 * A concrete model whose id starts with `broke-` wins over a profile of the same name.
 */
export function selectModel(
  model: string | undefined,
  knownModels: ReadonlySet<string>,
  profiles: ReadonlySet<string>,
): ModelSelection {
  if (model === undefined || model === '' || model === AUTO_MODEL) return { kind: 'auto' };
  if (knownModels.has(model)) return { kind: 'pinned', modelId: model };
  if (model.startsWith(VIRTUAL_PREFIX)) {
    const profile = model.slice(VIRTUAL_PREFIX.length);
    if (profiles.has(profile)) return { kind: 'profile', profile };
  }
  return { kind: 'unknown', model };
}
