import type { TaskType } from '../context/agent-context.js';
import { BoundedLru } from './bounded-lru.js';

/** Reply tokens assumed before anything is learned for a role and task type. */
export const DEFAULT_OUTPUT_TOKENS = 256;
/** Smoothing of the running mean: recent replies count most. */
const RATE = 0.2;

/**
 * Typical reply length per (role, task type), learned from completed requests. A request's
 * `max_tokens` is a cap, not a length: predicting finish times from it overstates long replies
 * and hides queueing, so the router uses min(learned typical length, max_tokens).
 */
export class OutputLengths {
  private readonly means: BoundedLru<string, { tokens: number }>;

  constructor(capacity = 10_000) {
    this.means = new BoundedLru(capacity);
  }

  expected(role: string, taskType: TaskType, maxTokens: number | undefined): number {
    const known = this.means.peek(key(role, taskType)) ?? this.means.peek(key('*', taskType));
    const typical = known ? known.tokens : DEFAULT_OUTPUT_TOKENS;
    return maxTokens !== undefined && maxTokens < typical ? maxTokens : typical;
  }

  observe(role: string, taskType: TaskType, tokens: number): void {
    if (!(tokens > 0) || !Number.isFinite(tokens)) return;
    for (const k of role === '*' ? [key('*', taskType)] : [key(role, taskType), key('*', taskType)]) {
      const entry = this.means.peek(k);
      if (entry) entry.tokens += RATE * (tokens - entry.tokens);
      else this.means.set(k, { tokens });
    }
  }
}

function key(role: string, taskType: TaskType): string {
  return `${role}\u0001${taskType}`;
}
