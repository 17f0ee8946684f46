import { formatPath } from '../config/format-issues.js';
import { type AgentContext, AgentContextSchema, type Framework } from '../context/agent-context.js';
import { ValidationError } from '../errors.js';
import type { ChatBody } from './schemas.js';

/**
 * Reads agent identity from a request the way a framework shapes it (CrewAI's system prompt,
 * AutoGen's message names...). Bridges supply one; explicit headers and metadata still win.
 */
export type ContextExtractor = (body: ChatBody, headers: Headers) => AgentContext;

/** What the context code reads from request headers: a WHATWG `Headers`, or a cheaper view of Node's. */
export interface HeaderSource {
  get(name: string): string | null;
}

const HEADER_FIELDS: Array<[header: string, field: keyof AgentContext]> = [
  ['x-broke-role', 'role'],
  ['x-broke-team', 'team'],
  ['x-broke-session', 'sessionId'],
  ['x-broke-task-type', 'taskType'],
  ['x-broke-framework', 'framework'],
];

function validated(raw: Record<string, unknown>, where: string, names: Record<string, string>): AgentContext {
  const result = AgentContextSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue ? formatPath(issue.path, '') : '';
  const field = names[key.split(/[.[]/)[0] ?? ''] ?? key;
  throw new ValidationError(`Invalid agent context in ${where}: ${field}: ${issue?.message ?? 'invalid'}`, {
    field,
  });
}

export function contextFromHeaders(headers: HeaderSource): AgentContext {
  const raw: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const [header, field] of HEADER_FIELDS) {
    const value = headers.get(header);
    if (value !== null && value !== '') {
      raw[field] = value.trim();
      names[field] = header;
    }
  }
  const depth = headers.get('x-broke-depth');
  if (depth !== null && depth !== '') {
    raw.conversationDepth = Number(depth);
    names.conversationDepth = 'x-broke-depth';
  }
  return Object.keys(raw).length === 0 ? {} : validated(raw, 'headers', names);
}

/** Body `metadata` accepts snake_case (OpenAI style) and camelCase keys; unknown keys are ignored. */
const METADATA_KEYS: Record<string, keyof AgentContext> = {
  role: 'role',
  team: 'team',
  session: 'sessionId',
  session_id: 'sessionId',
  sessionId: 'sessionId',
  task_type: 'taskType',
  taskType: 'taskType',
  framework: 'framework',
  conversation_depth: 'conversationDepth',
  conversationDepth: 'conversationDepth',
  prior_scores: 'priorScores',
  priorScores: 'priorScores',
  tags: 'tags',
};

export function contextFromMetadata(metadata: Record<string, unknown> | null | undefined): AgentContext {
  if (!metadata) return {};
  const raw: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    const field = METADATA_KEYS[key];
    if (field === undefined || value === undefined || value === null) continue;
    raw[field] = value;
    names[field] = `metadata.${key}`;
  }
  return Object.keys(raw).length === 0 ? {} : validated(raw, 'metadata', names);
}

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
  assignDefined(ctx, contextFromMetadata(body.metadata));
  assignDefined(ctx, contextFromHeaders(headers));
  return ctx;
}
