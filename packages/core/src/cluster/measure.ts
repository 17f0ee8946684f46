import type { ChatMessage, NodeInference } from '../spec/index.js';

export interface GenerationMeasure {
  ok: boolean;
  ttftMs?: number;
  totalMs: number;
  promptTokens?: number;
  completionTokens: number;
  /** Prompt tokens / TTFT (prefill speed); only when the server reported prompt tokens. */
  prefillTokensPerSec?: number;
  /** Tokens after the first / time after the first token. */
  decodeTokensPerSec?: number;
  text: string;
  error?: string;
}

/**
 * One streamed generation, timed: TTFT at the first content chunk, decode speed over the rest.
 * Token counts come from the server's usage when it sends one, else one per content chunk.
 */
export async function measureGeneration(
  driver: Pick<NodeInference, 'chatStream'>,
  model: string,
  messages: ChatMessage[],
  options: { maxTokens?: number; timeoutMs?: number } = {},
): Promise<GenerationMeasure> {
  const start = performance.now();
  let first: number | undefined;
  let chunks = 0;
  let text = '';
  let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  try {
    const stream = driver.chatStream(
      {
        model,
        messages,
        max_tokens: options.maxTokens ?? 64,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      },
      { timeoutMs: options.timeoutMs ?? 120_000 },
    );
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const piece = chunk.choices[0]?.delta?.content;
      if (piece) {
        first ??= performance.now();
        chunks += 1;
        text += piece;
      }
    }
  } catch (err) {
    return {
      ok: false,
      totalMs: performance.now() - start,
      completionTokens: chunks,
      text,
      error: (err as Error).message,
    };
  }
  const end = performance.now();
  const completionTokens = usage?.completion_tokens ?? chunks;
  const out: GenerationMeasure = { ok: true, totalMs: end - start, completionTokens, text };
  if (first !== undefined) {
    out.ttftMs = first - start;
    if (usage?.prompt_tokens) {
      out.promptTokens = usage.prompt_tokens;
      out.prefillTokensPerSec = usage.prompt_tokens / Math.max(out.ttftMs / 1000, 1e-6);
    }
    if (completionTokens > 1 && end > first)
      out.decodeTokensPerSec = (completionTokens - 1) / ((end - first) / 1000);
  }
  return out;
}
