/** Template / end-of-turn tokens that servers sometimes leak into text when the template and EOS disagree. */
export const DEFAULT_STOP_TOKENS: readonly string[] = [
  '<|im_end|>',
  '</s>',
  '<|eot_id|>',
  '<|end|>',
  '<|endoftext|>',
];

/**
 * Cuts model output at the first leaked stop token, also across stream chunk boundaries: the tail
 * of what was seen so far that could still become a stop token is held back until the next chunk
 * says whether it does. After a stop token everything is dropped.
 */
export class StopTokenCleaner {
  private readonly tokens: string[];
  private held = '';
  private done = false;

  constructor(tokens: Iterable<string> = DEFAULT_STOP_TOKENS) {
    this.tokens = [...new Set([...tokens].filter((t) => t.length > 0))];
  }

  /** True once a stop token was seen; later text is discarded. */
  get stopped(): boolean {
    return this.done;
  }

  /** Feed a chunk; returns the text that is safe to emit now. */
  push(chunk: string): string {
    if (this.done) return '';
    const text = this.held + chunk;
    this.held = '';
    let cut = -1;
    for (const token of this.tokens) {
      const at = text.indexOf(token);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.done = true;
      return text.slice(0, cut);
    }
    const keep = this.possiblePrefixLength(text);
    this.held = text.slice(text.length - keep);
    return text.slice(0, text.length - keep);
  }

  /** End of output: a held-back partial token turned out to be plain text. */
  flush(): string {
    const rest = this.done ? '' : this.held;
    this.held = '';
    return rest;
  }

  /** Longest suffix of `text` that is a proper prefix of some stop token. */
  private possiblePrefixLength(text: string): number {
    let best = 0;
    for (const token of this.tokens) {
      for (let n = Math.min(token.length - 1, text.length); n > best; n--) {
        if (text.endsWith(token.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }

  /** Clean a whole (non-streamed) text. */
  static clean(
    text: string,
    tokens: Iterable<string> = DEFAULT_STOP_TOKENS,
  ): { text: string; stopped: boolean } {
    const c = new StopTokenCleaner(tokens);
    const out = c.push(text) + c.flush();
    return { text: out, stopped: c.stopped };
  }
}
