import {
  type AgentContext,
  type ChatBody,
  type ContextExtractor,
  RunTracker,
  TASK_TEXT_MAX,
} from '@broke/core';
import { parseSelectorCall, textOf } from './selector.js';

/**
 * AutoGen (autogen-agentchat / autogen-ext 0.7.x, OpenAIChatCompletionClient) sends the agent's
 * `system_message` first, the group chat's messages as `user` messages named after their source
 * agent (`name: "planner"`), and the agent's own earlier replies as unnamed `assistant` messages.
 * The calling agent's own name is not on the wire: a custom system message "You are the planner"
 * names it; with AutoGen's default system message, give each agent's model client
 * `default_headers={"X-Broke-Role": name}` (docs/frameworks.md).
 */

/** "You are the planner. ..." / "You are a senior coder, ..." → "planner" / "senior coder". */
const YOU_ARE = /^\s*you are (?:an? |the )?([^.,;:!\n]{1,80})/i;
/** AutoGen's default system message names no one: every agent would share one role. */
const GENERIC_ROLE = /^helpful (?:ai )?assistant$/i;

export function roleFromSystemMessage(system: string): string | undefined {
  const role = YOU_ARE.exec(system)?.[1]?.trim();
  return role && !GENERIC_ROLE.test(role) ? role : undefined;
}

/** Runs of one task share a key: the task's first paragraph (what the selector prompt shows too). */
function taskKey(task: string): string {
  const cut = task.indexOf('\n\n');
  return (cut === -1 ? task : task.slice(0, cut)).trim().slice(0, 200);
}

/**
 * An extractor with its own run memory: role from the system message (or `selector` for
 * SelectorGroupChat's speaker selection), the speakers seen so far as `speaker:<name>` tags,
 * depth = messages before this turn, and one session per team run: a run of the same task
 * again is a new session (see RunTracker). Headers still win over all of it.
 */
export function createAutogenExtractor(): ContextExtractor {
  const runs = new RunTracker('autogen');
  return (body: ChatBody) => {
    const messages = body.messages;
    const selector = parseSelectorCall(messages);
    const ctx: AgentContext = { framework: 'autogen' };
    let task: string | undefined;
    let position: number;
    if (selector) {
      ctx.role = 'selector';
      if (selector.instruction) ctx.taskText = selector.instruction;
      position = selector.entries;
      if (selector.history.startsWith('user: ')) task = selector.history.slice(6);
    } else {
      const nonSystem = messages.filter((m) => m.role !== 'system' && m.role !== 'developer');
      position = nonSystem.length;
      const system = messages.find((m) => m.role === 'system' || m.role === 'developer');
      const role = system ? roleFromSystemMessage(textOf(system.content)) : undefined;
      if (role) ctx.role = role;
      const first = nonSystem.find((m) => m.role === 'user');
      if (first) task = textOf(first.content);
      // The last message another agent wrote (a plan, a draft) is not this turn's task: the run's
      // task is, so the prompt analysis reads that (its type and difficulty).
      const lastUser = nonSystem.findLast((m) => m.role === 'user');
      if (task && lastUser && lastUser !== first && lastUser.name && lastUser.name !== 'user')
        ctx.taskText = task.slice(0, TASK_TEXT_MAX);
      const speakers = [
        ...new Set(nonSystem.map((m) => m.name).filter((n): n is string => !!n && n !== 'user')),
      ];
      if (speakers.length) ctx.tags = speakers.slice(0, 20).map((s) => `speaker:${s.slice(0, 60)}`);
    }
    ctx.conversationDepth = Math.max(0, position - 1);
    if (task !== undefined) {
      ctx.sessionId = runs.place({ key: taskKey(task), position, body: messages }).sessionId;
    }
    return ctx;
  };
}

/** A shared instance (the bridge's); make your own with createAutogenExtractor for isolation. */
export const autogenExtractor: ContextExtractor = createAutogenExtractor();
