import type { AgentContext } from './agent-context.js';
import { CONTEXT_ALIASES } from './aliases.js';
import { validateContext, validField } from './validate.js';

/**
 * `strict`: a bad value is a `ValidationError` naming the key (the gateway: metadata is the
 * caller's own). `lenient`: a value BROKE cannot use is skipped (LangChain: metadata is shared
 * with every other tool in the chain).
 */
export type MetadataMode = 'strict' | 'lenient';

/**
 * Reads agent context from a metadata object by the one alias table; unknown keys are ignored.
 * A nested `broke` object (an `AgentContext`) is read first, then the aliases in table order, so
 * later (more specific) names win.
 */
export function contextFromMetadata(
  metadata: Record<string, unknown> | null | undefined,
  mode: MetadataMode = 'strict',
): AgentContext {
  if (!metadata) return {};
  const raw: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  const take = (field: keyof AgentContext, value: unknown, name: string): void => {
    if (value === undefined || value === null) return;
    if (mode === 'strict') {
      raw[field] = value;
      names[field] = name;
      return;
    }
    const valid = validField(field, value);
    if (valid !== undefined) raw[field] = valid;
  };
  const nested = metadata.broke;
  if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
    for (const { field } of CONTEXT_ALIASES) {
      take(field, (nested as Record<string, unknown>)[field], `metadata.broke.${field}`);
    }
  }
  for (const { field, metadata: keys } of CONTEXT_ALIASES) {
    for (const key of keys) take(field, metadata[key], `metadata.${key}`);
  }
  if (Object.keys(raw).length === 0) return {};
  return mode === 'strict' ? validateContext(raw, 'metadata', names) : (raw as AgentContext);
}
