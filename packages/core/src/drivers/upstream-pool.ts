import dc from 'node:diagnostics_channel';
import net from 'node:net';
import tls from 'node:tls';
import { Http1ResponseParser, type ResponseHead, type ResponseSink } from './http1-response.js';

/**
 * Keep-alive HTTP/1.1 connections to one node, for the gateway's one kind of upstream call: a
 * POST with a JSON body whose answer is handed on as it arrives (http1-response.ts reads it).
 *
 * Hand-written because both libraries cost the gateway what its targets are about (measured in
 * interleaved rounds, docs/gateway.md): undici ≥ 7.28 waits one event-loop turn before it writes
 * on an idle keep-alive connection (GHSA-35p6-xmwp-9g52), 0.45–0.8 ms of the added first-byte
 * time at 16 streams; Node's http client writes at once but cost 20–25% more CPU per request.
 * The advisory's hazard is handled here without the wait: an idle connection that receives any
 * byte is closed, so nothing a node sends unasked is ever read as the next answer.
 */

/** One POST: what the pool sends. */
export interface UpstreamRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** The request in flight, for its handler. */
export interface UpstreamController {
  /** Backpressure: stop reading the answer until `resume`. */
  pause(): void;
  resume(): void;
  /** Cuts the request; the handler's onResponseError gets `reason`. */
  abort(reason: Error): void;
  /** Whether the request went out on a connection an earlier request used (see stale resends). */
  readonly reusedConnection: boolean;
}

/** Told what happens to one request, in order: start, then the answer's head, data and end, or an error. */
export interface UpstreamHandler {
  onRequestStart(controller: UpstreamController): void;
  /**
   * The final answer's head (1xx interim answers are not reported). Its header map is built when
   * first read: a handler that only needs the status never pays for it.
   */
  onResponseStart(controller: UpstreamController, status: number, head: ResponseHead): void;
  onResponseData(controller: UpstreamController, chunk: Buffer): void;
  onResponseEnd(controller: UpstreamController): void;
  /** At most once, and never after onResponseEnd. */
  onResponseError(controller: UpstreamController, err: Error): void;
}

/**
 * For tools that time the hop (bench/gateway-trace.mjs), as undici's channels were: `{ request }`
 * before a request is sent (its headers may still be added to), `{ request, status, headers }`
 * when its answer's head arrived. Free when nobody subscribes.
 */
const requestChannel = dc.channel('broke:upstream:request');
const headersChannel = dc.channel('broke:upstream:headers');

/**
 * Idle connections close after 3–4 s, before typical server keep-alive timeouts (5 s) close them
 * under us. One sweep a second per pool, rather than a socket timer set and cleared per request.
 */
const IDLE_MS = 3000;
const SWEEP_MS = 1000;
/** What may not appear in a header line (it would end the line or the head). */
const HEADER_BREAK = /[\r\n\0]/;

export class UpstreamPool {
  /** Idle connections, the most recently used last (taken first, so the others can time out). */
  private readonly idle: Connection[] = [];
  private readonly secure: boolean;
  private readonly hostname: string;
  private readonly port: number;
  /** The request line's tail and the Host header, the same for every request. */
  private readonly hostLine: string;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.secure = url.protocol === 'https:';
    // An IPv6 literal comes bracketed in a URL's hostname; sockets want it bare.
    this.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port ? Number(url.port) : this.secure ? 443 : 80;
    this.hostLine = ` HTTP/1.1\r\nhost: ${url.host}\r\n`;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    if (requestChannel.hasSubscribers) requestChannel.publish({ request });
    let head = `POST ${request.path}${this.hostLine}`;
    for (const name in request.headers) {
      const value = request.headers[name] as string;
      if (HEADER_BREAK.test(name) || HEADER_BREAK.test(value)) {
        handler.onResponseError(NO_CONTROLLER, new TypeError(`invalid value for the ${name} header`));
        return;
      }
      head += `${name}: ${value}\r\n`;
    }
    head += `content-length: ${Buffer.byteLength(request.body)}\r\n\r\n`;
    const conn = this.idle.pop();
    if (conn) conn.send(request, head + request.body, handler, true);
    else this.connect().send(request, head + request.body, handler, false);
  }

  /** Closes every idle connection (requests in flight finish on theirs). */
  destroy(): void {
    for (const conn of this.idle.splice(0)) conn.socket.destroy();
  }

  /** Back to the pool after an answer that left the connection reusable. */
  release(conn: Connection): void {
    conn.idleSince = performance.now();
    this.idle.push(conn);
    this.sweeper ??= setInterval(this.sweep, SWEEP_MS).unref();
  }

  /** Off the pool (closed, or idle too long). */
  forget(conn: Connection): void {
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
  }

  /** Closes the connections idle too long (the oldest are first in `idle`). */
  private readonly sweep = (): void => {
    const before = performance.now() - IDLE_MS;
    let stale = 0;
    while (stale < this.idle.length && (this.idle[stale] as Connection).idleSince < before) stale++;
    for (const conn of this.idle.splice(0, stale)) conn.socket.destroy();
    if (this.idle.length === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };

  private connect(): Connection {
    const socket = this.secure
      ? tls.connect({
          host: this.hostname,
          port: this.port,
          // SNI names a host, never an address (RFC 6066).
          ...(net.isIP(this.hostname) ? {} : { servername: this.hostname }),
          ALPNProtocols: ['http/1.1'],
        })
      : net.connect({ host: this.hostname, port: this.port });
    socket.setNoDelay(true);
    return new Connection(this, socket);
  }
}

/** A controller for a request that never started (its handler is told why at once). */
const NO_CONTROLLER: UpstreamController = {
  pause() {},
  resume() {},
  abort() {},
  reusedConnection: false,
};

/**
 * One connection and the request it carries, if any. Its listeners are its own fields (no
 * closures per request); a request's state lives here too, reset by `send`.
 */
class Connection implements UpstreamController, ResponseSink {
  private handler: UpstreamHandler | undefined;
  private request: UpstreamRequest | undefined;
  private parser: Http1ResponseParser | undefined;
  private keepAlive = false;
  /** The answer ended during the current read: the connection is released once the read is done. */
  private answered = false;
  reusedConnection = false;
  /** When it last went idle (performance.now()), for the pool's sweep. */
  idleSince = 0;
  private closed = false;

  constructor(
    private readonly pool: UpstreamPool,
    readonly socket: net.Socket,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  send(request: UpstreamRequest, bytes: string, handler: UpstreamHandler, reused: boolean): void {
    this.request = request;
    this.handler = handler;
    this.parser = new Http1ResponseParser(this);
    this.keepAlive = false;
    this.reusedConnection = reused;
    handler.onRequestStart(this);
    if (this.handler === handler) this.socket.write(bytes);
  }

  // --- the controller ---

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  abort(reason: Error): void {
    this.fail(reason);
  }

  // --- the parser's sink ---

  head(head: ResponseHead): void {
    this.keepAlive = head.keepAlive;
    if (headersChannel.hasSubscribers)
      headersChannel.publish({ request: this.request, status: head.status, headers: head.headers });
    this.handler?.onResponseStart(this, head.status, head);
  }

  data(chunk: Buffer): void {
    this.handler?.onResponseData(this, chunk);
  }

  end(): void {
    const handler = this.handler;
    if (!handler) return;
    this.handler = undefined;
    this.answered = true;
    handler.onResponseEnd(this);
  }

  // --- the socket ---

  private readonly onData = (chunk: Buffer): void => {
    const parser = this.parser;
    if (!parser) {
      // Bytes on an idle connection are no answer to anything: never read them as the next one.
      this.socket.destroy();
      return;
    }
    try {
      parser.feed(chunk);
    } catch (err) {
      // Also bytes after the answer ended: the connection is not reused.
      this.answered = false;
      this.fail(err as Error);
      return;
    }
    if (this.answered) this.afterAnswer();
  };

  /**
   * After the read that ended an answer (never inside it: bytes after the answer in the same read
   * must fail the connection before anyone can send on it again).
   */
  private afterAnswer(): void {
    this.answered = false;
    this.parser = undefined;
    if (this.keepAlive && !this.closed) {
      this.socket.resume();
      this.pool.release(this);
    } else this.socket.destroy();
  }

  private readonly onEnd = (): void => {
    this.closed = true;
    try {
      this.parser?.close();
    } catch (err) {
      this.fail(err as Error);
    }
    if (this.answered) this.afterAnswer();
    this.socket.end();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.pool.forget(this);
    if (this.handler) this.fail(new Error('the node closed the connection before the answer ended'));
  };

  private readonly onError = (err: Error): void => {
    this.fail(err);
  };

  /** Ends the request in flight with `err` (once) and drops the connection. */
  private fail(err: Error): void {
    const handler = this.handler;
    this.handler = undefined;
    this.parser = undefined;
    this.socket.destroy();
    handler?.onResponseError(this, err);
  }
}
