/**
 * SelectorGroupChat's speaker-selection calls (autogen-agentchat 0.7.x). The default prompt is one
 * message (system for OpenAI model families, else a user message named "user"):
 *   You are in a role play game. The following roles are available:\n{roles}.\nRead the following
 *   conversation. Then select the next role from {participants} to play. Only return the role.
 *   \n\n{history}\n\nRead the above conversation. ...
 * where the history is "{source}: {content}\n\n" per message joined by "\n". A retry appends the
 * model's answer and one of three fixed feedback lines (custom prompts keep those lines too).
 */
const DEFAULT_PROMPT =
  /^You are in a role play game\. The following roles are available:\n[\s\S]*?\nRead the following conversation\. Then select the next role from \[[^\]]*\] to play\. Only return the role\.\n\n([\s\S]*?)\n\nRead the above conversation\./;
const RETRY_FEEDBACK =
  /^(?:No valid name was mentioned\.|Expected exactly one name to be mentioned\.|Repeated speaker is not allowed, please select a different name)/;
/** Where one history entry ends and the next ("name: ...") begins. */
const ENTRY_BREAK = /\n\n\n(?=[A-Za-z0-9_-]{1,64}: )/;

export interface SelectorCall {
  /** The conversation so far as the prompt carries it ('' when the prompt is a custom one). */
  history: string;
  /** Messages in that history. */
  entries: number;
}

type Msg = { role: string; content?: unknown; name?: string | null };

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/** The selection call this request is, or undefined for an agent's own call. */
export function parseSelectorCall(messages: readonly Msg[]): SelectorCall | undefined {
  const prompt = messages.find((m) => m.role !== 'assistant');
  const match = prompt ? DEFAULT_PROMPT.exec(textOf(prompt.content)) : null;
  if (match) {
    const history = match[1] ?? '';
    return { history, entries: history === '' ? 0 : history.split(ENTRY_BREAK).length };
  }
  const retried = messages.some((m) => m.role === 'user' && RETRY_FEEDBACK.test(textOf(m.content)));
  return retried ? { history: '', entries: 0 } : undefined;
}
