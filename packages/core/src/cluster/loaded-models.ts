import type { NodeConfig } from '../config/schema.js';

/** The last path segment (`/models/qwen-7b-4bit/` → `qwen-7b-4bit`). */
function lastSegment(name: string): string {
  const parts = name.split('/').filter(Boolean);
  return parts.at(-1) ?? name;
}

/**
 * What a server says it has loaded, as the config's model ids: servers name models their own way
 * (mlx_lm.server lists the absolute path it was started with, Ollama `name:tag`, vLLM and
 * llama.cpp their served name), while routing (warmth, memory headroom, affinity) speaks ids. A
 * name matches a node model by id, served name, path, or a path ending in its served name or id;
 * a single-model node reporting one unmatched model is serving that model (mlx_lm.server started
 * with `--model <path>` for a config entry that names no path). Unmatched names are kept as they
 * are, after the ids.
 */
export function loadedModelIds(node: Pick<NodeConfig, 'models'>, reported: readonly string[]): string[] {
  const models = node.models ?? [];
  const ids = new Set<string>();
  const unmatched: string[] = [];
  for (const name of reported) {
    const model = modelNamed(models, name);
    if (model) ids.add(model.id);
    else unmatched.push(name);
  }
  if (ids.size === 0 && unmatched.length === 1 && models.length === 1) {
    ids.add((models[0] as { id: string }).id);
    return [...ids];
  }
  return [...ids, ...unmatched];
}

/** The node model a server-reported name is: by id, served name, path, or a path ending in its served name or id. */
export function modelNamed<
  T extends { id: string; servedName?: string | undefined; path?: string | undefined },
>(models: readonly T[], name: string): T | undefined {
  const tail = lastSegment(name);
  return models.find(
    (m) =>
      m.id === name ||
      m.servedName === name ||
      m.path === name ||
      (name.includes('/') && (tail === (m.servedName && lastSegment(m.servedName)) || tail === m.id)),
  );
}
