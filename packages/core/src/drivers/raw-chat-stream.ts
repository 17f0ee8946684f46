import { APIUserAbortError } from 'openai';
import type { AbortHandle } from '../spec/index.js';
import { SsePayloads } from './sse-payloads.js';
import type { UpstreamResponse } from './upstream-post.js';

/** What a driver plugs into a raw stream: how to open it, clean it and name its errors. */
export interface RawChatStreamHooks {
  /** Sends the request; resolves with the node's 2xx response. */
  open(): Promise<UpstreamResponse>;
  /**
   * Rewrites one batch (stop-token cleaning); `stop` ends the stream after `out`, cutting the
   * node's connection so it stops generating. Undefined: the batch passes unchanged.
   */
  transform?(batch: string[]): { out: string[]; stop: boolean } | undefined;
  /** Payloads held back by the transform, sent when the node's stream ended normally. */
  tail?(): string[];
  /** The driver's error for anything that went wrong. */
  wrap(err: unknown): Error;
  /** The caller's abort: once it aborts, nothing more comes out, even what already arrived. */
  abort?: AbortHandle | undefined;
}

/**
 * The driver side of the gateway's pass-through: the node's SSE payloads, batched per read, as
 * an async iterator. Hand-written rather than an async generator because every layer of
 * generator costs promises and garbage per read on the gateway's hottest path.
 * Leaving early (`return()`, an error, a stop) cuts the node's connection; after the node's
 * `[DONE]` the rest of the body is drained so the keep-alive socket is reused.
 */
export class RawChatStream implements AsyncIterableIterator<string[]> {
  private res: UpstreamResponse | undefined;
  private reader: SsePayloads | undefined;
  private state: 'new' | 'open' | 'tail' | 'done' = 'new';

  constructor(private readonly hooks: RawChatStreamHooks) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<string[]>> {
    try {
      if (this.state === 'new') {
        this.state = 'open';
        this.res = await this.hooks.open();
        this.reader = new SsePayloads(this.res);
      }
      while (this.state === 'open') {
        const r = await (this.reader as SsePayloads).next();
        if (this.hooks.abort?.aborted) throw new APIUserAbortError();
        if (r.done) {
          this.state = 'tail';
          this.release(true);
          break;
        }
        const cleaned = this.hooks.transform?.(r.value);
        if (!cleaned) return r;
        if (cleaned.stop) {
          this.state = 'done';
          this.release(false);
        }
        if (cleaned.out.length > 0) return { value: cleaned.out, done: false };
      }
      if (this.state === 'tail') {
        this.state = 'done';
        const tail = this.hooks.tail?.() ?? [];
        if (tail.length > 0) return { value: tail, done: false };
      }
      return { value: undefined, done: true };
    } catch (err) {
      this.state = 'done';
      this.release(false);
      throw this.hooks.wrap(err);
    }
  }

  async return(): Promise<IteratorResult<string[]>> {
    if (this.state !== 'done') {
      this.state = 'done';
      this.release(false);
    }
    return { value: undefined, done: true };
  }

  /** Drains a finished response back to the pool, or cuts one left early. */
  private release(complete: boolean): void {
    this.reader?.return();
    const res = this.res;
    if (!res || res.complete) return;
    res.release(complete);
  }
}
