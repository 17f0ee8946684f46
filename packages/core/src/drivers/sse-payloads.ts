import { APIConnectionError, APIError } from 'openai';
import type { ReadyIterator } from '../spec/index.js';
import { type BodyReader, safeJson, type UpstreamResponse } from './upstream-post.js';

/** Queued batches above which the node's socket is paused until the reader catches up. */
const HIGH_WATER = 32;
/** A choice that finished: `"finish_reason": "stop"` (not null). */
const FINISHED = /"finish_reason"\s*:\s*"/;
/** An `"error"` anywhere in a payload (then it is parsed); a regex for speed, see served-stream's TOOL_CALLS. */
const ERROR_KEY = /"erro[r]"/;

/**
 * Splits an SSE body into `data:` payloads (multi-line data joined with '\n', comments and other
 * fields skipped), batched per socket read. An `event: error` or a payload with a top-level
 * `error` throws the SDK's APIError (after the payloads before it), as the SDK's stream does.
 * Ends at `[DONE]`, or at the end of the body when a choice has finished (servers that omit
 * `[DONE]`); a body that ends with neither was cut short (a node that died mid-answer, an
 * HTTP/1.0 server closing early) and throws, so it never passes for a complete answer.
 *
 * A hand-written iterator fed by the response's text callbacks rather than an async generator:
 * on the gateway's hot path that saves promise layers and their garbage per read. The caller
 * owns the response: after `[DONE]` it drains or cuts it (UpstreamResponse.release).
 */
export class SsePayloads implements AsyncIterableIterator<string[]>, ReadyIterator<string[]>, BodyReader {
  private pending = '';
  private data: string | undefined;
  private event: string | undefined;
  private readonly queue: string[][] = [];
  /** Set once nothing more will be queued: [DONE], end of body, or failure. */
  private ended = false;
  private failure: unknown;
  private waiting: { resolve(r: IteratorResult<string[]>): void; reject(err: unknown): void } | undefined;
  private paused = false;
  /** The last two batches delivered: where a finish_reason sits when the body ends. */
  private lastBatch: string[] = [];
  private batchBefore: string[] = [];

  constructor(private readonly res: UpstreamResponse) {
    res.read(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<string[]>> {
    const ready = this.ready();
    if (ready) return Promise.resolve(ready);
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** ReadyIterator: a queued batch, or the end; undefined while waiting, or when `next` has a failure to throw. */
  ready(): IteratorResult<string[]> | undefined {
    const batch = this.queue.shift();
    if (batch) {
      if (this.paused && this.queue.length < HIGH_WATER / 2) {
        this.paused = false;
        this.res.resume();
      }
      return { value: batch, done: false };
    }
    return this.ended && this.failure === undefined ? { value: undefined, done: true } : undefined;
  }

  /** Stops listening; what the node still sends is the caller's to drain or cut. */
  return(): Promise<IteratorResult<string[]>> {
    this.finish();
    this.queue.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** BodyReader: the next text the node sent. */
  readonly text = (part: string): void => {
    if (this.ended) return;
    const batch = this.parse(part);
    if (batch.length > 0) this.deliver(batch);
  };

  /** BodyReader: the node's body ended normally. */
  readonly end = (): void => {
    if (this.ended) return;
    // A last event not followed by a blank line still counts (the SDK's decoder flushes it too).
    const last = this.pending;
    if (last.startsWith('data:')) {
      const value = last.slice(last.charCodeAt(5) === 32 ? 6 : 5).replace(/\r$/, '');
      this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    }
    const data = this.data;
    if (data !== undefined && !data.startsWith('[DONE]') && this.event !== 'error') this.deliver([data]);
    if (!this.finishedAChoice()) {
      this.fail(
        new APIConnectionError({ message: 'the node ended the stream before it finished (no [DONE])' }),
      );
      return;
    }
    this.finish();
    this.settle();
  };

  /** A non-null finish_reason in the last payloads (checked once, at an end without [DONE]). */
  private finishedAChoice(): boolean {
    const recent = [...this.batchBefore.slice(-3), ...this.lastBatch.slice(-3)];
    return recent.some((p) => FINISHED.test(p));
  }

  /** BodyReader: the body failed (a connection lost mid-body, an abort). */
  readonly error = (err: unknown): void => this.fail(err);

  /** Payloads completed by `part`; sets `ended` at [DONE] and `failure` at an error event. */
  private parse(part: string): string[] {
    const text = this.pending ? this.pending + part : part;
    const batch: string[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end === start) {
        // blank line: dispatch
        const data = this.data;
        const event = this.event;
        this.data = undefined;
        this.event = undefined;
        if (data !== undefined) {
          if (event === 'error') {
            this.fail(
              new APIError(undefined, safeJson(data) as object | undefined, undefined, this.res.headers),
              batch,
            );
            return [];
          }
          if (data.startsWith('[DONE]')) {
            this.deliver(batch);
            this.finish();
            this.settle();
            return [];
          }
          if (ERROR_KEY.test(data)) {
            const parsed = safeJson(data) as { error?: unknown } | undefined;
            if (parsed?.error) {
              this.fail(new APIError(undefined, parsed.error as object, undefined, this.res.headers), batch);
              return [];
            }
          }
          batch.push(data);
        }
      } else if (text.startsWith('data:', start)) {
        const from = text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5;
        const value = text.slice(from, end);
        this.data = this.data === undefined ? value : `${this.data}\n${value}`;
      } else if (text.startsWith('event:', start)) {
        this.event = text.slice(text.charCodeAt(start + 6) === 32 ? start + 7 : start + 6, end);
      }
      start = nl + 1;
    }
    this.pending = text.slice(start);
    return batch;
  }

  private deliver(batch: string[]): void {
    if (batch.length === 0) return;
    this.batchBefore = this.lastBatch;
    this.lastBatch = batch;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve({ value: batch, done: false });
      return;
    }
    this.queue.push(batch);
    if (!this.paused && !this.ended && this.queue.length >= HIGH_WATER) {
      this.paused = true;
      this.res.pause();
    }
  }

  /** Payloads before the failure are delivered first; the failure comes after them. */
  private fail(err: unknown, before: string[] = []): void {
    if (this.ended) return;
    this.deliver(before);
    this.finish();
    this.failure = err;
    this.settle();
  }

  /** Answers a waiting `next()` once nothing is queued: with the failure, or the end. */
  private settle(): void {
    const waiting = this.waiting;
    if (!waiting || this.queue.length > 0) return;
    this.waiting = undefined;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      waiting.reject(failure);
    } else waiting.resolve({ value: undefined, done: true });
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.pending = '';
  }
}
