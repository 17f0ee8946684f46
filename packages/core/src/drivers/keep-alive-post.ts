import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/**
 * The request half of the streaming hot path without the SDK's per-request machinery: one
 * keep-alive node:http POST per request (resent once on a socket the server had closed), errors as
 * the `openai` SDK's own classes with the same messages, so callers classify them exactly like SDK
 * errors. The response body is read by sse-payloads.ts (streams) or readJsonBody.
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

export function headersOf(res: IncomingMessage): Headers {
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

/**
 * A whole JSON response body. A body cut short (the connection closed early, or a
 * close-delimited body that does not end in `}`) is an error, never a partial answer.
 */
export async function readJsonBody(res: IncomingMessage): Promise<string> {
  const text = await readAll(res);
  if (!res.complete || !text.trimEnd().endsWith('}'))
    throw new APIConnectionError({
      message: 'the node closed the connection before the whole answer arrived',
    });
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
    let streaming: IncomingMessage | undefined;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(err instanceof APIError ? err : new APIConnectionError({ cause: err as Error }));
    };
    // One listener for the whole call: before the answer it fails the request, after it (the
    // caller streams the body) it ends the body.
    const onAbort = () => {
      const err = new APIUserAbortError();
      if (streaming) streaming.destroy(err);
      else {
        fail(err);
        req.destroy(err);
      }
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
        if (signal) {
          streaming = res;
          res.once('close', () => signal.removeEventListener('abort', onAbort));
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
