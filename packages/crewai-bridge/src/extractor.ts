import type { AgentContext, ChatBody, ContextExtractor } from '@broke/core';

/**
 * CrewAI (1.6.x) sends each agent's system prompt as
 *   `You are {role}. {backstory}\nYour personal goal is: {goal}` (then format instructions)
 * and the task as a user message containing `Current Task: {description}`. The wire-format test
 * captures a real request from the pinned CrewAI, so an upgrade that changes this fails loudly.
 */
const ROLE_PLAYING = /^You are (.+?)\. ([\s\S]*?)\nYour personal goal is: ([^\n]*)/;
const CURRENT_TASK = /Current Task: ([^\n]*)/;

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  }
  return '';
}

export interface CrewAIPrompt {
  role: string;
  backstory: string;
  goal: string;
  task?: string;
}

/** The agent and task CrewAI encoded in the messages, or undefined if this is not CrewAI's shape. */
export function parseCrewAIPrompt(body: Pick<ChatBody, 'messages'>): CrewAIPrompt | undefined {
  const system = body.messages.find((m) => m.role === 'system');
  const match = system ? ROLE_PLAYING.exec(text(system.content)) : null;
  if (!match) return undefined;
  const user = body.messages.find((m) => m.role === 'user' && CURRENT_TASK.test(text(m.content)));
  const task = user ? CURRENT_TASK.exec(text(user.content))?.[1]?.trim() : undefined;
  return {
    role: (match[1] ?? '').trim(),
    backstory: (match[2] ?? '').trim(),
    goal: (match[3] ?? '').trim(),
    ...(task ? { task } : {}),
  };
}

const clip = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Role from the prompt; conversation depth = assistant turns (each Thought/Action/Observation
 * iteration adds one). Goal and task travel as tags. The session comes from the crew's
 * `X-Broke-Session` header (set once on the crew's LLM), which always wins over anything here.
 */
export const crewaiExtractor: ContextExtractor = (body) => {
  const prompt = parseCrewAIPrompt(body);
  const depth = body.messages.filter((m) => m.role === 'assistant').length;
  const ctx: AgentContext = { framework: 'crewai', conversationDepth: depth };
  if (!prompt) return ctx;
  const tags = [`goal:${clip(prompt.goal)}`];
  if (prompt.task) tags.push(`task:${clip(prompt.task)}`);
  return { ...ctx, ...(prompt.role ? { role: clip(prompt.role, 200) } : {}), tags };
};
