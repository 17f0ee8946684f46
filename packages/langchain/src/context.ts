import { createHash } from 'node:crypto';
import {
  type AgentContext,
  contextFromMetadata as coreContextFromMetadata,
  validateContext,
} from '@broke/core';
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
  return validateContext(raw, where);
}

/**
 * RunnableConfig.metadata by core's one alias table. Metadata is shared with every other tool in
 * the chain, so a value BROKE cannot use is skipped, not fatal.
 */
export function contextFromMetadata(metadata: Record<string, unknown> | undefined): AgentContext {
  return coreContextFromMetadata(metadata, 'lenient');
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
