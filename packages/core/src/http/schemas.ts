import { z } from 'zod';
import { formatPath } from '../config/format-issues.js';
import { ValidationError } from '../errors.js';
import { stringEnd } from '../serving/json-fields.js';

/**
 * Request bodies, validated once: these schemas give both the TypeScript types and the 400 errors.
 * Objects are loose so fields BROKE does not know (server-specific sampling knobs, future OpenAI
 * fields) pass through to the node untouched.
 */

const ContentPartSchema = z.looseObject({ type: z.string().min(1) });

/** An assistant turn's tool call: only what BROKE reads (to count tokens) is checked. */
const ToolCallSchema = z.looseObject({
  function: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

export const ChatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
  name: z.string().max(256).optional(),
  tool_calls: z.array(ToolCallSchema).nullish(),
});

export const ToolSchema = z.looseObject({
  type: z.string().min(1),
  function: z.looseObject({ name: z.string().min(1).max(256) }).optional(),
});

export const ChatBodySchema = z.looseObject({
  /** `broke-auto` when absent: a client that does not care lets BROKE choose. */
  model: z.string().min(1).max(256).default('broke-auto'),
  messages: z.array(ChatMessageSchema).min(1, 'at least one message is required'),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  n: z.number().int().min(1).max(16).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  tools: z.array(ToolSchema).max(256).nullish(),
  tool_choice: z.union([z.string(), z.looseObject({ type: z.string() })]).nullish(),
  response_format: z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) }).nullish(),
  /** BROKE agent context (role, team, session_id, task_type, ...); stripped before the node sees it. */
  metadata: z.record(z.string(), z.unknown()).nullish(),
});
export type ChatBody = z.infer<typeof ChatBodySchema>;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const RESPONSE_FORMATS = new Set(['text', 'json_object', 'json_schema']);
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;
const str = (v: unknown, max = Number.POSITIVE_INFINITY): v is string =>
  typeof v === 'string' && v.length >= 1 && v.length <= max;
const strOrAbsent = (v: unknown) => absent(v) || typeof v === 'string';
const int = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) =>
  absent(v) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max);
const num = (v: unknown, min: number, max: number) =>
  absent(v) || (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max);

function messageOk(m: unknown): boolean {
  if (!isObj(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) return false;
  const c = m.content;
  if (!(c === undefined || c === null || typeof c === 'string')) {
    if (!Array.isArray(c)) return false;
    for (const part of c) if (!isObj(part) || !str(part.type)) return false;
  }
  if (!(m.name === undefined || (typeof m.name === 'string' && m.name.length <= 256))) return false;
  const calls = m.tool_calls;
  if (absent(calls)) return true;
  if (!Array.isArray(calls)) return false;
  for (const call of calls) {
    if (!isObj(call)) return false;
    const f = call.function;
    if (absent(f)) continue;
    if (!isObj(f) || !strOrAbsent(f.name) || !strOrAbsent(f.arguments)) return false;
  }
  return true;
}

/**
 * A conservative hand check of ChatBodySchema for the hot path: true only for bodies the schema
 * certainly accepts (it may say false for some valid ones). zod still parses everything else, so
 * errors and their wording come from the schema alone.
 */
function chatBodyCertainlyValid(b: Record<string, unknown>): boolean {
  if (!(b.model === undefined || str(b.model, 256))) return false;
  const messages = b.messages;
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (const m of messages) if (!messageOk(m)) return false;
  if (!(absent(b.stream) || typeof b.stream === 'boolean')) return false;
  const so = b.stream_options;
  if (
    !(absent(so) || (isObj(so) && (so.include_usage === undefined || typeof so.include_usage === 'boolean')))
  )
    return false;
  if (!int(b.max_tokens, 1) || !int(b.max_completion_tokens, 1) || !int(b.seed, Number.MIN_SAFE_INTEGER))
    return false;
  if (!int(b.n, 1, 16) || !num(b.temperature, 0, 2) || !num(b.top_p, 0, 1)) return false;
  const stop = b.stop;
  if (
    !(
      absent(stop) ||
      typeof stop === 'string' ||
      (Array.isArray(stop) && stop.length <= 16 && stop.every((x) => typeof x === 'string'))
    )
  )
    return false;
  const tools = b.tools;
  if (!absent(tools)) {
    if (!Array.isArray(tools) || tools.length > 256) return false;
    for (const t of tools) {
      if (!isObj(t) || !str(t.type)) return false;
      if (t.function !== undefined && !(isObj(t.function) && str(t.function.name, 256))) return false;
    }
  }
  const tc = b.tool_choice;
  if (!(absent(tc) || typeof tc === 'string' || (isObj(tc) && typeof tc.type === 'string'))) return false;
  const rf = b.response_format;
  if (!(absent(rf) || (isObj(rf) && typeof rf.type === 'string' && RESPONSE_FORMATS.has(rf.type))))
    return false;
  // A JSON `"__proto__"` key is an own property here but zod rebuilds objects without it: let zod decide.
  if (Object.hasOwn(b, '__proto__')) return false;
  return absent(b.metadata) || (isObj(b.metadata) && !Object.hasOwn(b.metadata, '__proto__'));
}

/** ChatBodySchema's result for a parsed JSON body: a cheap check first, the schema when in doubt. */
export function parseChatBody(value: unknown): ChatBody {
  if (isObj(value) && chatBodyCertainlyValid(value)) {
    if (value.model === undefined) value.model = 'broke-auto';
    return value as ChatBody;
  }
  return parseRequestBody(ChatBodySchema, value);
}

const hasScope = (b: { session?: string; team?: string; role?: string }) =>
  b.session !== undefined || b.team !== undefined || b.role !== undefined;
const SCOPE_MESSAGE = 'a selection needs at least one of session, team, role';

/** "The last n routes of this role in this session": rate routes without handling their ids. */
export const RouteSelectionSchema = z
  .object({
    session: z.string().min(1).max(200).optional(),
    team: z.string().min(1).max(200).optional(),
    role: z.string().min(1).max(200).optional(),
    last: z.number().int().min(1).max(100).default(1),
  })
  .strict()
  .refine(hasScope, { message: SCOPE_MESSAGE, path: ['session'] });

export const FeedbackBodySchema = z
  .object({
    route_id: z.string().min(1).max(200).optional(),
    routeId: z.string().min(1).max(200).optional(),
    /** A selection, nested or as top-level fields (`{session, role, last, score}`). */
    selection: RouteSelectionSchema.optional(),
    session: z.string().min(1).max(200).optional(),
    team: z.string().min(1).max(200).optional(),
    role: z.string().min(1).max(200).optional(),
    last: z.number().int().min(1).max(100).optional(),
    /** Idempotency: feedback with an id already applied is refused (409), never counted twice. */
    id: z.string().min(1).max(200).optional(),
    score: z.number().min(0).max(1).optional(),
    success: z.boolean().optional(),
    thumbs: z.enum(['up', 'down']).optional(),
    /**
     * `session`: the score is the outcome of the whole session (a crew run), credited to its
     * role → model hand-offs as well as to each of its routes. Needs `session` alone.
     */
    outcome: z.enum(['routes', 'session']).optional(),
  })
  .strict()
  .refine(
    (b) =>
      b.outcome !== 'session' ||
      (b.session !== undefined &&
        [b.route_id, b.routeId, b.selection, b.team, b.role, b.last].every((v) => v === undefined)),
    {
      message:
        'outcome "session" rates a whole session: give session (and no route_id, selection, team, role or last)',
      path: ['outcome'],
    },
  )
  .refine(
    (b) =>
      [b.route_id ?? b.routeId, b.selection, hasScope(b) || undefined].filter((v) => v !== undefined)
        .length === 1,
    {
      message:
        'give exactly one of route_id, a selection (session / team / role, and last) or selection: {...}',
      path: ['route_id'],
    },
  )
  .refine((b) => b.last === undefined || hasScope(b), { message: SCOPE_MESSAGE, path: ['last'] })
  .refine((b) => b.score !== undefined || b.success !== undefined || b.thumbs !== undefined, {
    message: 'give at least one of score, success, thumbs',
    path: ['score'],
  });
export type FeedbackBody = z.infer<typeof FeedbackBodySchema>;

const TIME = z.union([
  z
    .string()
    .regex(/^\d{1,13}$/)
    .transform((v) => Number(v) * (v.length > 10 ? 1 : 1000)),
  z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'expected unix seconds or an ISO 8601 time')
    .transform((v) => Date.parse(v)),
]);

/** `GET /v1/routes` query parameters; unknown ones are an error, not a silently ignored typo. */
export const RoutesQuerySchema = z
  .object({
    session: z.string().min(1).max(200).optional(),
    team: z.string().min(1).max(200).optional(),
    role: z.string().min(1).max(200).optional(),
    model: z.string().min(1).max(200).optional(),
    node: z.string().min(1).max(200).optional(),
    since: TIME.optional(),
    until: TIME.optional(),
    limit: z
      .string()
      .regex(/^\d+$/, 'expected a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(500))
      .default(50),
    cursor: z
      .string()
      .regex(/^c[0-9a-z]{1,11}$/, 'not a cursor this gateway gave out (use next_cursor from the last page)')
      .transform((v) => Number.parseInt(v.slice(1), 36))
      .optional(),
  })
  .strict();

/** Parse or throw a ValidationError naming the first bad field. */
export function parseRequestBody<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = 'request body',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? formatPath(issue.path, '') : '';
  const message = issue ? issue.message : 'invalid';
  throw new ValidationError(`Invalid ${what}: ${field ? `${field}: ` : ''}${message}`, {
    ...(field ? { field } : {}),
  });
}

/**
 * How deep a request body's arrays and objects may nest (the body itself is level 1). No request
 * needs more, and deeper values cost more than they seem: JSON.parse spends ~0.5 s on a 4 MB
 * `[[[[...` (blocking every other request), and nodes' JSON parsers fail on them (Python's json
 * at ~1,000 levels, pydantic's at 200) by dropping the connection, which reads as a dead node.
 */
const MAX_JSON_DEPTH = 128;

/** Does the JSON text nest deeper than `max`? One pass that skips string contents with indexOf. */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) i = stringEnd(text, i);
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** JSON.parse that turns syntax errors into a 400 instead of a crash. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new ValidationError('Request body is empty; expected a JSON object');
  // Checked on the text, before JSON.parse pays for the nesting.
  if (nestsDeeperThan(text, MAX_JSON_DEPTH))
    throw new ValidationError(`Invalid request body: JSON nested more than ${MAX_JSON_DEPTH} levels deep`, {
      hint: 'nest JSON values less deeply',
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('Request body is not valid JSON');
  }
  // Only a \u escape can make a lone surrogate (raw bytes decode to U+FFFD): checked only then.
  if (text.includes('\\u')) {
    const where = loneSurrogatePath(value, '');
    if (where !== undefined)
      throw new ValidationError(
        `Invalid request body: ${where || 'value'}: contains a lone UTF-16 surrogate`,
        {
          ...(where ? { field: where } : {}),
          hint: 'send well-formed Unicode (pair \\ud800-\\udbff with \\udc00-\\udfff)',
        },
      );
  }
  return value;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Path of the first string (or key) holding a lone surrogate, which no node can encode. */
function loneSurrogatePath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 256) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = loneSurrogatePath(value[i], `${path}[${i}]`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (LONE_SURROGATE.test(key)) return at;
    const found = loneSurrogatePath(v, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
