import type { AbortHandle, CallOptions } from '../spec/index.js';

/** A call's abort as a handle: the caller's own (CallOptions.abort), else one over its signal. */
export function callAbort(options: CallOptions): AbortHandle | undefined {
  if (options.abort) return options.abort;
  return options.signal ? new SignalHandle(options.signal) : undefined;
}

class SignalHandle implements AbortHandle {
  constructor(private readonly signal: AbortSignal) {}

  get aborted(): boolean {
    return this.signal.aborted;
  }

  get reason(): unknown {
    return this.signal.reason;
  }

  onAbort(listener: () => void): () => void {
    const { signal } = this;
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  }
}
