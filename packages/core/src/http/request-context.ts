import type { AgentContext, Framework } from '../context/agent-context.js';
import { contextFromHeaders, type HeaderSource } from '../context/from-headers.js';
import { contextFromMetadata } from '../context/from-metadata.js';
import type { ChatBody } from './schemas.js';

/**
 * Reads agent identity from a request the way a framework shapes it (CrewAI's system prompt,
 * AutoGen's message names...). Bridges supply one; explicit headers and metadata still win.
 */
export type ContextExtractor = (body: ChatBody, headers: Headers) => AgentContext;

/** Copies the defined fields of `src` onto `out`, so a later source never erases an earlier value. */
function assignDefined(out: AgentContext, src: AgentContext): void {
  for (const key in src) {
    const value = src[key as keyof AgentContext];
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
}

/**
 * Precedence, lowest first: config default, framework extractor, body metadata, headers.
 * `headers` may be a cheap view of the request's headers; the extractor (bridges only) gets
 * `extractorHeaders()` when given, else `headers` itself.
 */
export function requestAgentContext(
  body: ChatBody,
  headers: HeaderSource,
  options: {
    defaults?: AgentContext;
    extractor?: ContextExtractor;
    framework?: Framework;
    extractorHeaders?: () => Headers;
  } = {},
): AgentContext {
  let extracted: AgentContext = {};
  if (options.extractor) {
    try {
      extracted = options.extractor(body, options.extractorHeaders?.() ?? (headers as Headers));
    } catch {
      // A heuristic that trips on an odd prompt must not fail the request; route without it.
      extracted = {};
    }
  }
  const ctx: AgentContext = {};
  if (options.defaults) assignDefined(ctx, options.defaults);
  if (options.framework) ctx.framework = options.framework;
  assignDefined(ctx, extracted);
  assignDefined(ctx, contextFromMetadata(body.metadata, 'strict'));
  assignDefined(ctx, contextFromHeaders(headers));
  return ctx;
}
