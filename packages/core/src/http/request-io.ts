import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import type { HeaderSource } from '../context/from-headers.js';
import { BrokeError } from '../errors.js';
import { type ClientLink, signalLink } from '../serving/client-link.js';

/**
 * A request's I/O straight on Node's request and response: the chat lane (chat-lane.ts) works on
 * nothing else, and under @hono/node-server they are in `c.env`, so hono's handlers use them too.
 * Reading the body and watching for a disconnect through them skips building a WHATWG Request (a
 * web-stream body and a signal) per call; elsewhere (app.request in tests, other runtimes) the
 * portable Request is used.
 */
interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

const bindings = (c: Context): NodeBindings => (c.env as NodeBindings | undefined) ?? {};

/** The Node request and response behind a hono context (both undefined outside node-server). */
export const nodeBindings = bindings;

/** A Node request's body as text (the caller checked its declared Content-Length). */
export function readNodeBody(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const onData = (b: Buffer) => parts.push(b);
    // Every listener comes off when the body is read: the connection's parser keeps this request
    // object until the next one arrives, and a listener left on it would keep the whole request.
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
    };
    const onEnd = () => {
      done();
      resolve(
        parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8'),
      );
    };
    const onError = () => {
      done();
      reject(new BrokeError('client_closed', 'client closed the request', { status: 499 }));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}

/** The request body as text. Only a body with a declared Content-Length (checked by limitBody) is read directly. */
export function readBodyText(c: Context): Promise<string> {
  const { incoming } = bindings(c);
  if (!incoming || typeof incoming.on !== 'function' || incoming.headers['content-length'] === undefined) {
    return c.req.text();
  }
  return readNodeBody(incoming);
}

export function clientLink(c: Context): ClientLink {
  const { outgoing } = bindings(c);
  if (!outgoing || typeof outgoing.once !== 'function') return signalLink(c.req.raw.signal);
  return new ResponseLink(outgoing);
}

/**
 * The caller's end as the Node response sees it: gone when the response closed before it finished.
 * A class rather than an object literal with a `get gone()`: a literal's getter is a new function
 * per request, which gives each object a hidden class of its own that lives until a full GC and
 * keeps the request's young objects alive (see NodeSseSink).
 */
export class ResponseLink implements ClientLink {
  constructor(private readonly outgoing: ServerResponse) {}

  get gone(): boolean {
    return this.outgoing.closed && !this.outgoing.writableFinished;
  }

  onGone(listener: () => void): () => void {
    const { outgoing } = this;
    const onClose = () => {
      if (!outgoing.writableFinished) listener();
    };
    // `on`: a response closes once (no `once` wrapper per request).
    outgoing.on('close', onClose);
    return () => outgoing.off('close', onClose);
  }
}

/** Node's parsed headers as `get(name)`; values repeated in the request are joined with ', ' as `Headers.get` does. */
export class NodeHeaders implements HeaderSource {
  constructor(private readonly h: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const v = this.h[name];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
}

/**
 * The request headers as `get(name)`: straight from Node's parsed headers under node-server (no
 * WHATWG Request/Headers built per call), else the portable Request's.
 */
export function requestHeaders(c: Context): HeaderSource {
  const { incoming } = bindings(c);
  if (!incoming || typeof incoming.headers !== 'object' || incoming.headers === null)
    return c.req.raw.headers;
  return new NodeHeaders(incoming.headers);
}
