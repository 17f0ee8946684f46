import type { BenchPrompt } from '../cluster/baseline-schema.js';
import type { ChatMessage } from '../spec/index.js';

export const SUITE_NAME = 'standard-v1';

/** The standard benchmark suite: fixed prompts so figures compare across machines and users. */
export const STANDARD_SUITE: Record<BenchPrompt, { messages: ChatMessage[]; maxTokens: number }> = {
  short: {
    messages: [{ role: 'user', content: 'What is the capital of France? Answer in one sentence.' }],
    maxTokens: 32,
  },
  long: {
    messages: [
      {
        role: 'user',
        content: `Summarise the following notes in three bullet points.\n\n${Array.from(
          { length: 12 },
          (_, i) =>
            `Note ${i + 1}: the team reviewed the deployment plan, measured latency on each node, found that queueing ` +
            `dominated tail latency under load, and agreed to route short prompts to the fastest idle machine.`,
        ).join('\n')}`,
      },
    ],
    maxTokens: 96,
  },
  code: {
    messages: [
      {
        role: 'user',
        content: 'Write a TypeScript function `median(xs: number[]): number` with a short doc comment.',
      },
    ],
    maxTokens: 128,
  },
  chat: {
    messages: [
      { role: 'system', content: 'You are a concise assistant for a software team.' },
      { role: 'user', content: 'We have two Macs serving models. How should we split the work?' },
      {
        role: 'assistant',
        content: 'Put the larger model on the machine with more memory and route by task.',
      },
      { role: 'user', content: 'And for quick questions?' },
    ],
    maxTokens: 64,
  },
};
