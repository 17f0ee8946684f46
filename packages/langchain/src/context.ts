import { createHash } from 'node:crypto';
import { type AgentContext, AgentContextSchema, ValidationError } from '@broke/core';
import type { BaseMessage } from '@langchain/core/messages';

/** Context fields a caller may set per call (LangChain call options) or per model (constructor). */
export interface BrokeContextFields {
  role?: string;
  team?: string;
  taskType?: AgentContext['taskType'];
  sessionId?: string;
  priorScores?: Record<string, number>;
  /** Any other AgentContext field (tags...), merged under the named fields above. */
  context?: AgentContext;
}

/**
 * RunnableConfig.metadata keys BROKE reads. Plain names (`role`) and `broke_`-prefixed names
 * (`broke_role`, wins over the plain one) so a chain can scope its metadata to BROKE. LangGraph's
 * `thread_id` stands in for the session when nothing more specific is given.
 */
const METADATA_KEYS: Array<[keyof AgentContext, string[]]> = [
  ['role', ['role', 'broke_role']],
  ['team', ['team', 'broke_team']],
  ['taskType', ['taskType', 'task_type', 'broke_task_type']],
  ['sessionId', ['thread_id', 'sessionId', 'session_id', 'broke_session_id']],
  ['priorScores', ['priorScores', 'prior_scores', 'broke_prior_scores']],
  ['tags', ['broke_tags']],
];

function defined(ctx: AgentContext): AgentContext {
  return Object.fromEntries(Object.entries(ctx).filter(([, v]) => v !== undefined)) as AgentContext;
}

/** Explicit context (constructor, call options) is validated: a typo there is a bug to report. */
export function contextFromFields(fields: BrokeContextFields | undefined, where: string): AgentContext {
  if (!fields) return {};
  const raw = defined({
    ...(fields.context ?? {}),
    role: fields.role,
    team: fields.team,
    taskType: fields.taskType,
    sessionId: fields.sessionId,
    priorScores: fields.priorScores,
  });
  const parsed = AgentContextSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new ValidationError(
      `Invalid BROKE agent context in ${where}: ${field}: ${issue?.message ?? 'invalid'}`,
      {
        field,
      },
    );
  }
  return parsed.data;
}

/**
 * Metadata is shared with every other tool in the chain, so a value BROKE cannot use is skipped,
 * not fatal. A nested `broke` object (an AgentContext) is read as well.
 */
export function contextFromMetadata(metadata: Record<string, unknown> | undefined): AgentContext {
  if (!metadata) return {};
  const out: Record<string, unknown> = {};
  const nested = metadata.broke;
  if (nested && typeof nested === 'object') {
    for (const [key, value] of Object.entries(nested)) {
      const one = AgentContextSchema.safeParse({ [key]: value });
      if (one.success) Object.assign(out, one.data);
    }
  }
  for (const [field, keys] of METADATA_KEYS) {
    for (const key of keys) {
      const value = metadata[key];
      if (value === undefined || value === null) continue;
      const one = AgentContextSchema.safeParse({ [field]: value });
      if (one.success) out[field] = (one.data as Record<string, unknown>)[field];
    }
  }
  return out as AgentContext;
}

/** Assistant turns so far: how deep into the conversation this call is. */
export function conversationDepth(messages: readonly BaseMessage[]): number {
  return messages.filter((m) => m.type === 'ai').length;
}

/**
 * A stable session id for a conversation nobody named: the hash of its opening (system prompt and
 * first user message). Every later turn of the same conversation starts the same way, so it gets
 * the same id and session affinity keeps it on the node that already holds its prompt cache.
 */
export function sessionFromMessages(messages: readonly BaseMessage[]): string | undefined {
  const system = messages.find((m) => m.type === 'system');
  const first = messages.find((m) => m.type === 'human');
  if (!first) return undefined;
  const hash = createHash('sha256')
    .update(system ? system.text : '')
    .update('\u0000')
    .update(first.text)
    .digest('hex')
    .slice(0, 16);
  return `lc-${hash}`;
}

/**
 * Precedence, lowest first: model defaults, RunnableConfig.metadata, call options. Depth always
 * follows the messages; the session does unless someone named it.
 */
export function resolveContext(
  parts: { defaults: AgentContext; metadata: AgentContext; call: AgentContext },
  messages: readonly BaseMessage[],
): AgentContext {
  const ctx: AgentContext = {
    framework: 'langchain',
    ...defined(parts.defaults),
    ...defined(parts.metadata),
    ...defined(parts.call),
    conversationDepth: conversationDepth(messages),
  };
  if (ctx.sessionId === undefined) {
    const derived = sessionFromMessages(messages);
    if (derived) ctx.sessionId = derived;
  }
  return ctx;
}
