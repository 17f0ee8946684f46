import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/**
 * The streaming hot path without the SDK's per-request machinery: one keep-alive node:http
 * request, the node's SSE bytes split into `data:` payloads and handed on as strings (no JSON
 * parse or re-serialisation per chunk). Errors are the `openai` SDK's own classes with the same
 * messages, so callers classify them exactly like SDK errors.
 */

/** One pooled agent per node: connections to a node are reused across requests. */
export function keepAliveAgent(url: string): http.Agent {
  const options = {
    keepAlive: true,
    // An idle pooled socket is closed after 4 s, before typical server keep-alive timeouts (5 s)
    // close it under us.
    timeout: 4000,
    keepAliveMsecs: 1000,
    maxSockets: Number.POSITIVE_INFINITY,
    maxFreeSockets: 256,
    scheduling: 'lifo' as const,
  };
  return url.startsWith('https:') ? new https.Agent(options) : new http.Agent(options);
}

function headersOf(res: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (typeof v === 'string') h.set(k, v);
    else if (Array.isArray(v)) for (const x of v) h.append(k, x);
  }
  return h;
}

async function readAll(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const part of res) text += part;
  return text;
}

export interface PostOptions {
  agent: http.Agent;
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Until the response headers arrive (the SDK's `timeout` has the same scope). */
  timeoutMs: number;
  /** Internal: this is the one retry after a reused keep-alive socket turned out closed. */
  retried?: boolean;
}

const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

/** POSTs `body`; resolves with a 2xx response, rejects with the SDK's error classes otherwise. */
export function postJson(url: URL, body: string, options: PostOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(new APIUserAbortError());
      return;
    }
    const req = (url.protocol === 'https:' ? https : http).request({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      path: url.pathname + url.search,
      method: 'POST',
      // The retry after a stale pooled socket takes a new connection of its own: the other pooled
      // sockets may be just as stale.
      agent: options.retried ? false : options.agent,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        ...options.headers,
      },
    });
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(err instanceof APIError ? err : new APIConnectionError({ cause: err as Error }));
    };
    const onAbort = () => {
      const err = new APIUserAbortError();
      fail(err);
      req.destroy(err);
    };
    const timer = setTimeout(() => {
      const err = new APIConnectionTimeoutError();
      fail(err);
      req.destroy(err);
    }, options.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server closed a pooled connection as we reused it: nothing reached it, send again once.
      if (!settled && req.reusedSocket && !options.retried && STALE_SOCKET.has(err.code ?? '')) {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(postJson(url, body, { ...options, retried: true }));
        return;
      }
      fail(err);
    });
    req.once('response', (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        settled = true;
        // The caller streams the body; an abort from now on ends it.
        const onBodyAbort = () => res.destroy(new APIUserAbortError());
        signal?.removeEventListener('abort', onAbort);
        if (signal) {
          signal.addEventListener('abort', onBodyAbort, { once: true });
          res.once('close', () => signal.removeEventListener('abort', onBodyAbort));
        }
        resolve(res);
        return;
      }
      readAll(res).then(
        (text) => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          fail(
            APIError.generate(status, json as object | undefined, json ? undefined : text, headersOf(res)),
          );
        },
        (err) => fail(err),
      );
    });
    req.end(body);
  });
}

/**
 * Splits an SSE body into `data:` payloads (multi-line data joined with '\n', comments and other
 * fields skipped), batched per socket read. An `event: error` or a payload with a top-level
 * `error` throws the SDK's APIError, as the SDK's stream does. Ends at `[DONE]`.
 */
export async function* ssePayloads(res: IncomingMessage): AsyncGenerator<string[]> {
  res.setEncoding('utf8');
  let pending = '';
  let data: string | undefined;
  let event: string | undefined;
  let done = false;
  // Not destroyed when the caller stops at [DONE]: the rest is drained so the connection is reused.
  for await (const part of res.iterator({ destroyOnReturn: false }) as AsyncIterable<string>) {
    const text = pending ? pending + part : part;
    const batch: string[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end === start) {
        // blank line: dispatch
        if (data !== undefined) {
          if (event === 'error')
            throw new APIError(undefined, safeJson(data) as object | undefined, undefined, headersOf(res));
          if (data.startsWith('[DONE]')) {
            done = true;
            break;
          }
          if (data.includes('"error"')) {
            const parsed = safeJson(data) as { error?: unknown } | undefined;
            if (parsed?.error)
              throw new APIError(undefined, parsed.error as object, undefined, headersOf(res));
          }
          batch.push(data);
        }
        data = undefined;
        event = undefined;
      } else if (text.startsWith('data:', start)) {
        const from = text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5;
        const value = text.slice(from, end);
        data = data === undefined ? value : `${data}\n${value}`;
      } else if (text.startsWith('event:', start)) {
        event = text.slice(text.charCodeAt(start + 6) === 32 ? start + 7 : start + 6, end);
      }
      start = nl + 1;
    }
    pending = done ? '' : text.slice(start);
    if (batch.length > 0) yield batch;
    if (done) return;
  }
  // A last event not followed by a blank line still counts (the SDK's decoder flushes it too).
  if (!done && pending.startsWith('data:')) {
    const value = pending.slice(pending.charCodeAt(5) === 32 ? 6 : 5).replace(/\r$/, '');
    data = data === undefined ? value : `${data}\n${value}`;
  }
  if (!done && data !== undefined && !data.startsWith('[DONE]') && event !== 'error') yield [data];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
