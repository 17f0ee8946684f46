import type { AbortHandle, CallOptions } from '../spec/index.js';

/**
 * One call's abort, in place of an AbortController per request: listeners are plain callbacks, and
 * an AbortSignal (~3 µs to build and watch, most of it the signal itself) is made only for a
 * driver that reads `signal`; it is aborted with the same reason.
 */
export class AbortLink implements AbortHandle {
  aborted = false;
  reason: unknown;
  private listeners: Array<() => void> | undefined;
  private controller: AbortController | undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }

  onAbort(listener: () => void): () => void {
    if (this.aborted) return noop;
    if (this.listeners) this.listeners.push(listener);
    else this.listeners = [listener];
    return () => {
      const at = this.listeners?.indexOf(listener) ?? -1;
      if (at >= 0) this.listeners?.splice(at, 1);
    };
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}

function noop(): void {}

/** A driver call's options over an AbortLink: `signal` is made at its first read. */
export class LinkedCallOptions implements CallOptions {
  constructor(
    readonly abort: AbortLink,
    readonly headers: Readonly<Record<string, string>> | undefined,
  ) {}

  get signal(): AbortSignal {
    return this.abort.signal;
  }
}
