import type { Context } from 'hono';
import type { HeaderSource } from '../context/from-headers.js';
import type { ClientLink } from '../serving/client-link.js';
import { clientOf } from './auth.js';
import { clientLink, readBodyText, requestHeaders } from './request-io.js';
import { type SseSink, sendSse } from './sse-sink.js';

/**
 * One chat request's HTTP side as the chat handler (chat-completions.ts) sees it. Two carry it:
 * the gateway's chat lane on Node's own request and response (chat-lane.ts: what `startGateway`
 * serves chat requests with) and hono's context (`HonoChatExchange`: `app.request` in tests,
 * other runtimes, and bodies sent without a Content-Length).
 */
export interface ChatExchange {
  /** The request's path (without its query). */
  readonly path: string;
  /** The caller's key digest (see ApiKeys); undefined when the gateway is open or for admin keys. */
  readonly client: string | undefined;
  readonly headers: HeaderSource;
  /** The headers as a WHATWG Headers (a bridge's extractor, tracing): made when asked. */
  webHeaders(): Headers;
  bodyText(): Promise<string>;
  /** The caller's end: going away aborts the node call. */
  link(): ClientLink;
  /** A header for the answer, an error answer included. */
  header(name: string, value: string): void;
  /** Answers with JSON text. */
  json(status: number, text: string): void;
  /** Answers 200 with the SSE events `pump` writes. */
  sse(headers: Record<string, string>, pump: (sink: SseSink) => Promise<void>): void;
}

/** What serves a chat request on an exchange; it throws what should be an error answer. */
export type ChatHandler = (x: ChatExchange) => Promise<void>;

/** The exchange over hono's context; `response` is what the route returns. */
export class HonoChatExchange implements ChatExchange {
  readonly client: string | undefined;
  readonly headers: HeaderSource;
  response: Response | undefined;

  constructor(private readonly c: Context) {
    this.client = clientOf(c);
    this.headers = requestHeaders(c);
  }

  get path(): string {
    return this.c.req.path;
  }

  webHeaders(): Headers {
    return this.c.req.raw.headers;
  }

  bodyText(): Promise<string> {
    return readBodyText(this.c);
  }

  link(): ClientLink {
    return clientLink(this.c);
  }

  header(name: string, value: string): void {
    this.c.header(name, value);
  }

  json(status: number, text: string): void {
    this.c.header('content-type', 'application/json');
    this.response = this.c.body(text, status as 200);
  }

  sse(headers: Record<string, string>, pump: (sink: SseSink) => Promise<void>): void {
    this.response = sendSse(this.c, headers, pump);
  }
}

/** A chat handler as a hono route. */
export function honoChatRoute(handle: ChatHandler) {
  return async (c: Context): Promise<Response> => {
    const x = new HonoChatExchange(c);
    await handle(x);
    return x.response ?? c.body(null, 204);
  };
}
