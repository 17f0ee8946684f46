/**
 * SelectorGroupChat's speaker-selection calls (autogen-agentchat 0.7.x). The default prompt is one
 * message (system for OpenAI model families, else a user message named "user"):
 *   You are in a role play game. The following roles are available:\n{roles}.\nRead the following
 *   conversation. Then select the next role from {participants} to play. Only return the role.
 *   \n\n{history}\n\nRead the above conversation. ...
 * where the history is "{source}: {content}\n\n" per message joined by "\n". A retry appends the
 * model's answer and one of three fixed feedback lines (custom prompts keep those lines too).
 */
// Parsed with indexOf, not backtracking patterns: linear on any input, hostile ones included.
const PROMPT_START = 'You are in a role play game. The following roles are available:\n';
const HISTORY_INTRO = '\nRead the following conversation. Then select the next role from [';
const HISTORY_START = '] to play. Only return the role.\n\n';
const HISTORY_END = '\n\nRead the above conversation.';
const RETRY_FEEDBACK =
  /^(?:No valid name was mentioned\.|Expected exactly one name to be mentioned\.|Repeated speaker is not allowed, please select a different name)/;
/** Where one history entry ends and the next ("name: ...") begins. */
const ENTRY_BREAK = /\n\n\n(?=[A-Za-z0-9_-]{1,64}: )/;

export interface SelectorCall {
  /** The conversation so far as the prompt carries it ('' when the prompt is a custom one). */
  history: string;
  /** Messages in that history. */
  entries: number;
  /**
   * The selection itself, without the conversation ("Select the next role from [planner, coder]
   * to play. Only return the role."): what the prompt analysis reads, so a choice of name is
   * analysed as the small task it is, not as everything said so far (default prompt only).
   */
  instruction?: string;
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
  const parsed = prompt ? defaultPrompt(textOf(prompt.content)) : undefined;
  if (parsed) {
    const { history, participants } = parsed;
    return {
      history,
      entries: history === '' ? 0 : history.split(ENTRY_BREAK).length,
      instruction: `Select the next role from [${participants}] to play. Only return the role.`,
    };
  }
  const retried = messages.some((m) => m.role === 'user' && RETRY_FEEDBACK.test(textOf(m.content)));
  return retried ? { history: '', entries: 0 } : undefined;
}

/**
 * The conversation inside SelectorGroupChat's default prompt and the participants it names
 * (`'planner', 'coder'`), or undefined for other text.
 */
function defaultPrompt(text: string): { history: string; participants: string } | undefined {
  if (!text.startsWith(PROMPT_START)) return undefined;
  const intro = text.indexOf(HISTORY_INTRO, PROMPT_START.length);
  if (intro === -1) return undefined;
  const start = text.indexOf(HISTORY_START, intro + HISTORY_INTRO.length);
  // The history ends where the prompt's closing instruction begins (the last one: the
  // conversation itself may quote the prompt).
  const end = text.lastIndexOf(HISTORY_END);
  if (start === -1 || end < start + HISTORY_START.length) return undefined;
  return {
    history: text.slice(start + HISTORY_START.length, end),
    participants: text.slice(intro + HISTORY_INTRO.length, start),
  };
}
