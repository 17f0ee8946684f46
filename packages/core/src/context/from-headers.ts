import type { AgentContext } from './agent-context.js';
import { CONTEXT_ALIASES } from './aliases.js';
import { validateContext } from './validate.js';

/** What the context code reads from request headers: a WHATWG `Headers`, or a cheaper view of Node's. */
export interface HeaderSource {
  get(name: string): string | null;
}

/** `X-Broke-*` headers, strictly: a bad value is a `ValidationError` naming the header. */
export function contextFromHeaders(headers: HeaderSource): AgentContext {
  const raw: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const { field, header } of CONTEXT_ALIASES) {
    if (header === undefined) continue;
    const value = headers.get(header);
    if (value === null || value === '') continue;
    // Headers are text; depth is the one number among them.
    raw[field] = field === 'conversationDepth' ? Number(value) : value.trim();
    names[field] = header;
  }
  return Object.keys(raw).length === 0 ? {} : validateContext(raw, 'headers', names);
}
