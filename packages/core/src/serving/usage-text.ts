/** Token counts a node reported, as read from its JSON text. */
export interface UsageCounts {
  completion_tokens?: number;
  prompt_tokens?: number;
}

const COMPLETION_TOKENS = /"completion_tokens"\s*:\s*(\d+)/;
const PROMPT_TOKENS = /"prompt_tokens"\s*:\s*(\d+)/;

/**
 * Token counts from a completion's or a usage chunk's JSON text without parsing it (undefined
 * when absent). Key names are matched with their quotes: a JSON string cannot hold an unescaped
 * quote, so text inside a message never matches.
 */
export function usageOf(text: string): UsageCounts | undefined {
  const completion = COMPLETION_TOKENS.exec(text);
  if (!completion) return undefined;
  const prompt = PROMPT_TOKENS.exec(text);
  return {
    completion_tokens: Number(completion[1]),
    ...(prompt ? { prompt_tokens: Number(prompt[1]) } : {}),
  };
}
