import type { AgentContext } from '../context/agent-context.js';
import type { ChatChunk, ChatCompletion } from '../spec/index.js';

/**
 * Who wants a request's answer text (prompt and answer capture: capture/interaction-capture.ts).
 * Asked once per request after routing; only then does serving assemble the answer and hand it to
 * the observers as `RequestEnd.response`. Without one, serving does no per-chunk work at all.
 */
export interface ResponseCapture {
  wants(ctx: AgentContext): boolean;
}

/** The answer's text in a completion (JSON text as the node wrote it, or parsed). */
export function completionText(value: string | ChatCompletion): string {
  try {
    const completion = typeof value === 'string' ? (JSON.parse(value) as ChatCompletion) : value;
    return completion.choices?.[0]?.message?.content ?? '';
  } catch {
    return '';
  }
}

/** The text a stream chunk adds to the first choice (a payload as JSON text, or parsed). */
export function chunkText(chunk: string | ChatChunk): string {
  try {
    const parsed = typeof chunk === 'string' ? (JSON.parse(chunk) as ChatChunk) : chunk;
    return parsed.choices?.[0]?.delta?.content ?? '';
  } catch {
    return '';
  }
}
