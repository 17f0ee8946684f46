import type { ChatMessage } from '../spec/index.js';

/** Plain text of one message's content (text parts joined; images and audio dropped). */
export function textOf(message: ChatMessage): string {
  const content = (message as { content?: unknown }).content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content as Array<{ text?: unknown }>) {
    if (typeof part.text === 'string') text += text ? `\n${part.text}` : part.text;
  }
  return text;
}

/**
 * The text that decides what kind of task this is: the last user message, plus the system
 * prompt (kept separate because it describes the agent, not the task).
 */
export function taskTexts(messages: readonly ChatMessage[]): { user: string; system: string } {
  let user = '';
  let system = '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as ChatMessage;
    if (!user && message.role === 'user') user = textOf(message);
    else if (!system && (message.role === 'system' || message.role === 'developer')) system = textOf(message);
    if (user && system) break;
  }
  return { user, system };
}
