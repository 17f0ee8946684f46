import { createHash } from 'node:crypto';
import type { AgentContext, ChatBody, ContextExtractor } from '@broke/core';

/**
 * AutoGen (autogen-agentchat / autogen-ext 0.7.x, OpenAIChatCompletionClient) sends the agent's
 * `system_message` first, the group chat's messages as `user` messages named after their source
 * agent (`name: "planner"`), and the agent's own earlier replies as unnamed `assistant` messages.
 */

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/** "You are the planner. ..." / "You are a senior coder, ..." → "planner" / "senior coder". */
const YOU_ARE = /^\s*you are (?:an? |the )?([^.,;:!\n]{1,80})/i;

export function roleFromSystemMessage(system: string): string | undefined {
  const role = YOU_ARE.exec(system)?.[1]?.trim();
  return role ? role : undefined;
}

/** The first task message is shared by every agent of a run, so it names the group chat. */
export function groupChatSession(body: Pick<ChatBody, 'messages'>): string | undefined {
  const first = body.messages.find((m) => m.role === 'user');
  if (!first) return undefined;
  const digest = createHash('sha256')
    .update(`${first.name ?? ''}\u0000${text(first.content)}`)
    .digest('hex');
  return `autogen-${digest.slice(0, 16)}`;
}

/**
 * Role from the system message; the speakers seen so far become `speaker:<name>` tags; depth is
 * the number of turns before this one; one session per group chat. Headers still win.
 */
export const autogenExtractor: ContextExtractor = (body) => {
  const nonSystem = body.messages.filter((m) => m.role !== 'system' && m.role !== 'developer');
  const ctx: AgentContext = { framework: 'autogen', conversationDepth: Math.max(0, nonSystem.length - 1) };
  const system = body.messages.find((m) => m.role === 'system' || m.role === 'developer');
  const role = system ? roleFromSystemMessage(text(system.content)) : undefined;
  const session = groupChatSession(body);
  const speakers = [...new Set(nonSystem.map((m) => m.name).filter((n): n is string => !!n && n !== 'user'))];
  return {
    ...ctx,
    ...(role ? { role } : {}),
    ...(session ? { sessionId: session } : {}),
    ...(speakers.length ? { tags: speakers.slice(0, 20).map((s) => `speaker:${s.slice(0, 60)}`) } : {}),
  };
};
