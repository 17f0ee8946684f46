/**
 * The caller's end of a request: whether it went away before its answer was finished, and a hook
 * for when it does. The gateway implements it with plain listeners on the Node response
 * (http/request-io.ts) rather than an AbortSignal per request (EventTarget is a measurable share
 * of the gateway's per-request cost); in-process callers hand in their AbortSignal.
 */
export interface ClientLink {
  readonly gone: boolean;
  /** Calls `listener` once if the client goes away; returns what unhooks it. */
  onGone(listener: () => void): () => void;
}

/** A caller that ends its request with an AbortSignal (in-process callers, portable requests). */
export function signalLink(signal: AbortSignal): ClientLink {
  return new SignalLink(signal);
}

// A class rather than an object literal with a `get gone()`: a literal's getter is a new function
// per request, which gives each object a hidden class of its own that lives until a full GC.
class SignalLink implements ClientLink {
  constructor(private readonly signal: AbortSignal) {}

  get gone(): boolean {
    return this.signal.aborted;
  }

  onGone(listener: () => void): () => void {
    const { signal } = this;
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  }
}
