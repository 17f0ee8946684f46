import type { ChatChunk } from '../spec/index.js';
import type { StopTokenCleaner } from './stop-tokens.js';

/**
 * Stop-token cleaning of a chunk stream, per choice: text is cut at the first leaked stop token
 * (also across chunks), a stopped choice gets `finish_reason: 'stop'` and empty deltas after it.
 * Shared by the parsed stream (`chatStream`) and the raw pass-through (`chatStreamRaw`).
 */
export class ChunkCleaner {
  private readonly cleaners = new Map<number, StopTokenCleaner | undefined>();
  private readonly finished = new Set<number>();

  constructor(private readonly make: () => StopTokenCleaner | undefined) {}

  /** Cleans `chunk` in place; true when the output of its only choice has stopped (drop the rest). */
  apply(chunk: ChatChunk): boolean {
    let stopAll = false;
    for (const choice of chunk.choices) {
      if (!this.cleaners.has(choice.index)) this.cleaners.set(choice.index, this.make());
      const cleaner = this.cleaners.get(choice.index);
      if (!cleaner) continue;
      if (this.finished.has(choice.index)) {
        choice.delta = {};
        continue;
      }
      const content = choice.delta?.content;
      let text = typeof content === 'string' ? cleaner.push(content) : undefined;
      if (cleaner.stopped) {
        choice.finish_reason = 'stop';
        this.finished.add(choice.index);
      } else if (choice.finish_reason) {
        text = (text ?? '') + cleaner.flush();
        this.finished.add(choice.index);
      }
      if (text !== undefined) choice.delta = { ...choice.delta, content: text };
      if (cleaner.stopped && chunk.choices.length === 1) stopAll = true;
    }
    return stopAll;
  }

  /** Stream ended without a finish_reason on some choice: chunks releasing what was held back. */
  tail(last: ChatChunk | undefined): ChatChunk[] {
    const out: ChatChunk[] = [];
    for (const [index, cleaner] of this.cleaners) {
      const rest = cleaner?.flush();
      if (rest && last && !this.finished.has(index))
        out.push({
          ...last,
          choices: [{ index, delta: { content: rest }, finish_reason: null, logprobs: null }],
        });
    }
    return out;
  }
}
