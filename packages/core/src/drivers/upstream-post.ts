import { StringDecoder } from 'node:string_decoder';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { AbortHandle } from '../spec/index.js';
import { webHeaders } from '../web-headers.js';
import type { ResponseHead } from './http1-response.js';
import type { UpstreamController, UpstreamHandler, UpstreamPool } from './upstream-pool.js';

/**
 * The request half of the gateway's hot path: one POST per request over a keep-alive pool per
 * node (upstream-pool.ts), answered through callbacks so the body arrives as text, not a stream
 * object per request. Errors are the `openai` SDK's own classes with the SDK's messages, so
 * callers classify them exactly like SDK errors. Bodies are read by sse-payloads.ts (streams) or
 * readJsonBody. Time limits are the caller's: until the headers (PostOptions.timeoutMs) and the
 * whole request (its abort handle).
 */

/** Where an answer's body goes, as text, once read. */
export interface BodyReader {
  text(part: string): void;
  end(): void;
  error(err: unknown): void;
}

/** A 2xx answer whose body is still to be read. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Whether the node sent the whole body (true once it ended normally). */
  readonly complete: boolean;
  /** Starts delivering the body (what arrived before is delivered at once). */
  read(reader: BodyReader): void;
  /** Backpressure: stop reading from the node until `resume`. */
  pause(): void;
  resume(): void;
  /** Done with the body: `drain` reads the rest and drops it (the connection is kept), else the connection is cut. */
  release(drain: boolean): void;
}

export interface PostOptions {
  pool: UpstreamPool;
  headers: Record<string, string>;
  abort?: AbortHandle | undefined;
  /** Until the response headers arrive (the SDK's `timeout` has the same scope). */
  timeoutMs: number;
}

/** POSTs `body`; resolves with a 2xx response, rejects with the SDK's error classes otherwise. */
export function postJson(url: URL, body: string, options: PostOptions): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    new UpstreamCall(url, body, options, resolve, reject, false).start();
  });
}

/**
 * A whole JSON response body. A body cut short (the connection closed early, or a
 * close-delimited body that does not end in `}`) is an error, never a partial answer.
 */
export function readJsonBody(res: UpstreamResponse): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.read({
      text: (part) => {
        text += part;
      },
      end: () => {
        if (!text.trimEnd().endsWith('}'))
          reject(
            new APIConnectionError({
              message: 'the node closed the connection before the whole answer arrived',
            }),
          );
        else resolve(text);
      },
      error: reject,
    });
  });
}

/** The JSON value of a node's error text, or undefined when it is not JSON. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type State = 'waiting' | 'streaming' | 'ended' | 'failed';

/**
 * One POST as the pool's handler and, once answered 2xx, the response it resolves with.
 * One object per request for both roles: the hot path allocates little beyond the body's text.
 */
class UpstreamCall implements UpstreamHandler, UpstreamResponse {
  status = 0;
  private head: ResponseHead | undefined;
  private parsedHeaders: Headers | undefined;
  private state: State = 'waiting';
  private controller: UpstreamController | undefined;
  private decoder: StringDecoder | undefined;
  private reader: BodyReader | undefined;
  /** Text that arrived before `read` (delivered in the same tick as the headers). */
  private early = '';
  private failure: unknown;
  private errorText = '';
  private wantPaused = false;
  private unhookAbort: (() => void) | undefined;
  private dropping = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly url: URL,
    private readonly body: string,
    private readonly options: PostOptions,
    private readonly resolve: (res: UpstreamResponse) => void,
    private readonly reject: (err: unknown) => void,
    private readonly retried: boolean,
  ) {
    this.timer = setTimeout(this.onTimeout, options.timeoutMs);
  }

  get headers(): Headers {
    this.parsedHeaders ??= webHeaders(this.head?.headers ?? {});
    return this.parsedHeaders;
  }

  get complete(): boolean {
    return this.state === 'ended';
  }

  start(): void {
    const { abort } = this.options;
    if (abort?.aborted) {
      this.settle(new APIUserAbortError());
      return;
    }
    this.unhookAbort = abort?.onAbort(this.onAbort);
    const { url } = this;
    this.options.pool.dispatch(
      {
        path: url.pathname + url.search,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...this.options.headers,
        },
        body: this.body,
      },
      this,
    );
  }

  // --- the pool's handler ---

  onRequestStart(controller: UpstreamController): void {
    this.controller = controller;
    if (this.state === 'failed') controller.abort(this.failure as Error);
  }

  onResponseStart(controller: UpstreamController, status: number, head: ResponseHead): void {
    this.controller = controller;
    this.status = status;
    this.head = head;
    clearTimeout(this.timer);
    if (status >= 300) return; // the error body is collected, then rejected with
    this.state = 'streaming';
    this.resolve(this);
  }

  onResponseData(_controller: UpstreamController, chunk: Buffer): void {
    if (this.dropping) return;
    let text: string;
    // A chunk ending in an ASCII byte ends between characters: decoded as it is. A decoder only
    // from the first chunk that may end inside a character (it keeps those bytes for the next).
    if (this.decoder === undefined && (chunk[chunk.length - 1] as number) < 0x80)
      text = chunk.toString('utf8');
    else {
      this.decoder ??= new StringDecoder('utf8');
      text = this.decoder.write(chunk);
    }
    if (text === '') return;
    if (this.status >= 300) this.errorText += text;
    else if (this.reader) this.reader.text(text);
    else this.early += text;
  }

  onResponseEnd(): void {
    const rest = this.decoder?.end() ?? '';
    if (this.status >= 300) {
      this.rejectStatus(this.errorText + rest);
      return;
    }
    this.state = 'ended';
    this.unhook();
    if (this.dropping) return;
    if (rest !== '') {
      if (this.reader) this.reader.text(rest);
      else this.early += rest;
    }
    this.reader?.end();
  }

  onResponseError(controller: UpstreamController, err: Error): void {
    clearTimeout(this.timer);
    this.unhook();
    if (this.state === 'streaming') {
      this.state = 'failed';
      if (this.dropping) return;
      // Aborts and timeouts keep their class; a connection lost mid-body says so.
      const error =
        err instanceof APIError
          ? err
          : new APIConnectionError({ message: 'the node closed the stream before it ended', cause: err });
      this.failure = error;
      this.reader?.error(error);
      return;
    }
    if (this.state !== 'waiting') return;
    if (this.status === 0 && !this.retried && controller.reusedConnection && !(err instanceof APIError)) {
      // No answer on a pooled connection: the node closed it as we reused it. Sent again once,
      // after the pool has dropped that connection; a fresh connection never is, so a request
      // that crashes a node is seen as one.
      this.state = 'failed';
      setImmediate(() =>
        new UpstreamCall(this.url, this.body, this.options, this.resolve, this.reject, true).start(),
      );
      return;
    }
    this.settle(err instanceof APIError ? err : new APIConnectionError({ cause: err }));
  }

  // --- the response ---

  read(reader: BodyReader): void {
    this.reader = reader;
    if (this.early !== '') {
      const early = this.early;
      this.early = '';
      reader.text(early);
    }
    if (this.state === 'ended') reader.end();
    else if (this.state === 'failed') reader.error(this.failure);
  }

  pause(): void {
    if (this.wantPaused || this.state !== 'streaming') return;
    this.wantPaused = true;
    this.controller?.pause();
  }

  resume(): void {
    if (!this.wantPaused) return;
    this.wantPaused = false;
    // Once the answer ended its connection may carry another request: not ours to resume.
    if (this.state === 'streaming') this.controller?.resume();
  }

  release(drain: boolean): void {
    this.reader = undefined;
    if (this.state !== 'streaming') return;
    this.dropping = true;
    if (drain) this.resume();
    else this.controller?.abort(new APIUserAbortError());
  }

  // --- internals ---

  private unhook(): void {
    this.unhookAbort?.();
    this.unhookAbort = undefined;
  }

  private rejectStatus(text: string): void {
    this.state = 'failed';
    this.unhook();
    const json = safeJson(text);
    this.reject(
      APIError.generate(this.status, json as object | undefined, json ? undefined : text, this.headers),
    );
  }

  /** Fails the call before any answer (idempotent). */
  private settle(err: unknown): void {
    if (this.state !== 'waiting') return;
    this.state = 'failed';
    this.failure = err;
    clearTimeout(this.timer);
    this.unhook();
    this.controller?.abort(err as Error);
    this.reject(err);
  }

  private readonly onAbort = (): void => {
    const err = new APIUserAbortError();
    if (this.state === 'waiting') this.settle(err);
    else if (this.state === 'streaming') this.controller?.abort(err);
  };

  private readonly onTimeout = (): void => {
    this.settle(new APIConnectionTimeoutError());
  };
}
