import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { HeaderSource } from '../context/from-headers.js';
import type { ClientLink } from '../serving/client-link.js';
import { webHeaders } from '../web-headers.js';
import { type ApiKeys, INVALID_KEY_BODY } from './auth.js';
import { declaredTooLarge, tooLargeBody } from './body-limit.js';
import type { ChatExchange, ChatHandler } from './chat-exchange.js';
import type { ClientSlots } from './client-limit.js';
import { errorAnswer } from './openai-error.js';
import { NodeHeaders, ResponseLink, readNodeBody } from './request-io.js';
import { type SseSink, streamSse } from './sse-sink.js';

/** What the lane checks before a chat request is served: the app's own middleware, shared. */
export interface ChatLaneOptions {
  /** Chat handlers by exact path (`/v1/chat/completions` and each bridge's under its prefix). */
  routes: ReadonlyMap<string, ChatHandler>;
  keys: ApiKeys;
  maxBodyBytes: number;
  slots: ClientSlots;
}

/**
 * The gateway's chat lane: a Node request listener that serves `POST <chat path>` with a declared
 * Content-Length itself and hands everything else to `next` (the hono app's listener).
 *
 * Chat requests are the gateway's hot path, and taking them through @hono/node-server and hono (a
 * Request object, the router, the context, two middleware, a Response to translate back) cost
 * ~10–15% more CPU per request (docs/gateway.md, "The chat lane"). The lane does the same checks
 * in the same order with the same objects as the app's middleware (ApiKeys, the body limit,
 * ClientSlots), then the same handler (chat-completions.ts) on Node's request and response; a body
 * without a Content-Length goes to hono, whose body limit counts it as it streams.
 */
export function chatLane(options: ChatLaneOptions, next: RequestListener): RequestListener {
  const { routes, keys, maxBodyBytes, slots } = options;
  const tooLarge = JSON.stringify(tooLargeBody(maxBodyBytes));
  const invalidKey = JSON.stringify(INVALID_KEY_BODY);
  const tooMany = JSON.stringify(slots.tooMany);
  return (incoming, outgoing) => {
    const declared = incoming.headers['content-length'];
    if (incoming.method !== 'POST' || declared === undefined) return next(incoming, outgoing);
    const url = incoming.url ?? '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const handle = routes.get(path);
    if (!handle) return next(incoming, outgoing);
    // In the app's middleware order: the key, the body's size, the client's slots.
    const verdict = keys.check(incoming.headers.authorization);
    const x = new NodeChatExchange(incoming, outgoing, path, verdict.ok ? verdict.client : undefined);
    if (!verdict.ok) return x.json(401, invalidKey);
    if (declaredTooLarge(declared, maxBodyBytes)) return x.json(413, tooLarge);
    if (!slots.take(x.client, incoming, outgoing)) return x.json(429, tooMany);
    handle(x).catch((err: unknown) => x.fail(err));
  };
}

/** The exchange on Node's request and response; headers set before an answer go out with it. */
class NodeChatExchange implements ChatExchange {
  readonly headers: HeaderSource;
  private out: Record<string, string> | undefined;
  private web: Headers | undefined;

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly outgoing: ServerResponse,
    readonly path: string,
    readonly client: string | undefined,
  ) {
    this.headers = new NodeHeaders(incoming.headers);
  }

  webHeaders(): Headers {
    this.web ??= webHeaders(this.incoming.headers);
    return this.web;
  }

  bodyText(): Promise<string> {
    return readNodeBody(this.incoming);
  }

  link(): ClientLink {
    return new ResponseLink(this.outgoing);
  }

  header(name: string, value: string): void {
    this.out ??= {};
    this.out[name] = value;
  }

  json(status: number, text: string): void {
    const headers = this.out ?? {};
    headers['content-type'] = 'application/json';
    // Declared, as hono's answers are (writeHead before end would make it chunked).
    headers['content-length'] = String(Buffer.byteLength(text));
    this.outgoing.writeHead(status, headers);
    this.outgoing.end(text);
  }

  sse(headers: Record<string, string>, pump: (sink: SseSink) => Promise<void>): void {
    streamSse(this.outgoing, this.out ? { ...this.out, ...headers } : headers, pump);
  }

  /** The handler threw: an OpenAI error answer, unless an answer already started. */
  fail(err: unknown): void {
    const { status, body } = errorAnswer(err);
    if (this.outgoing.headersSent) {
      this.outgoing.destroy();
      return;
    }
    this.json(status, JSON.stringify(body));
  }
}
