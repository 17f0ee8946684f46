import { APIUserAbortError } from 'openai';
import type { AbortHandle, ReadyIterator } from '../spec/index.js';
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
export class RawChatStream implements AsyncIterableIterator<string[]>, ReadyIterator<string[]> {
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
      for (;;) {
        const out = this.after(this.state === 'open' ? await (this.reader as SsePayloads).next() : undefined);
        if (out) return out;
      }
    } catch (err) {
      throw this.failed(err);
    }
  }

  /** ReadyIterator: what `next` would give without waiting for the node, if that is known now. */
  ready(): IteratorResult<string[]> | undefined {
    if (this.state === 'new') return undefined;
    try {
      for (;;) {
        let read: IteratorResult<string[]> | undefined;
        if (this.state === 'open') {
          read = (this.reader as SsePayloads).ready();
          if (!read) return undefined;
        }
        const out = this.after(read);
        if (out) return out;
      }
    } catch (err) {
      throw this.failed(err);
    }
  }

  /**
   * The result for the reader's `read` (undefined once the reader is done with): a batch, as
   * cleaned; the tail and the end after the node's end; undefined when a batch cleaned to
   * nothing, so the caller reads again.
   */
  private after(read: IteratorResult<string[]> | undefined): IteratorResult<string[]> | undefined {
    if (read) {
      if (this.hooks.abort?.aborted) throw new APIUserAbortError();
      if (read.done) {
        this.state = 'tail';
        this.release(true);
      } else {
        const cleaned = this.hooks.transform?.(read.value);
        if (!cleaned) return read;
        if (cleaned.stop) {
          this.state = 'done';
          this.release(false);
        }
        if (cleaned.out.length > 0) return { value: cleaned.out, done: false };
        if (this.state === 'open') return undefined;
      }
    }
    if (this.state === 'tail') {
      this.state = 'done';
      const tail = this.hooks.tail?.() ?? [];
      if (tail.length > 0) return { value: tail, done: false };
    }
    return { value: undefined, done: true };
  }

  /** Any failure ends the stream and cuts the node's connection; the driver names the error. */
  private failed(err: unknown): Error {
    this.state = 'done';
    this.release(false);
    return this.hooks.wrap(err);
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
