import type { ComplexityBand } from '../analysis/complexity.js';
import { BoundedLru } from '../bounded-lru.js';
import type { TaskType } from '../context/agent-context.js';

/** Reply tokens assumed before anything is learned for a role and task type. */
export const DEFAULT_OUTPUT_TOKENS = 256;
/** Smoothing of the running mean: recent replies count most. */
const RATE = 0.2;

/**
 * Typical reply length per (role, task type, difficulty band), learned from completed requests
 * (harder asks get longer answers), falling back to coarser keys until those have data. A request's
 * `max_tokens` is a cap, not a length: predicting finish times from it overstates long replies
 * and hides queueing, so the router uses min(learned typical length, max_tokens).
 */
export class OutputLengths {
  private readonly means: BoundedLru<string, { tokens: number }>;

  constructor(capacity = 10_000) {
    this.means = new BoundedLru(capacity);
  }

  expected(role: string, taskType: TaskType, band: ComplexityBand, maxTokens: number | undefined): number {
    const known =
      this.means.peek(key(role, taskType, band)) ??
      this.means.peek(key(ANY, taskType, band)) ??
      this.means.peek(key(role, taskType, ANY)) ??
      this.means.peek(key(ANY, taskType, ANY));
    const typical = known ? known.tokens : DEFAULT_OUTPUT_TOKENS;
    return maxTokens !== undefined && maxTokens < typical ? maxTokens : typical;
  }

  observe(role: string, taskType: TaskType, band: ComplexityBand, tokens: number): void {
    if (!(tokens > 0) || !Number.isFinite(tokens)) return;
    this.fold(key(role, taskType, band), tokens);
    this.fold(key(role, taskType, ANY), tokens);
    // An unknown role is already the any-role level: folded once, not twice.
    if (role === ANY) return;
    this.fold(key(ANY, taskType, band), tokens);
    this.fold(key(ANY, taskType, ANY), tokens);
  }

  private fold(k: string, tokens: number): void {
    const entry = this.means.peek(k);
    if (entry) entry.tokens += RATE * (tokens - entry.tokens);
    else this.means.set(k, { tokens });
  }
}

const ANY = '*';

function key(role: string, taskType: TaskType, band: string): string {
  return `${role}\u0001${taskType}\u0001${band}`;
}
