import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';

/** Where SSE events go: the Node socket directly, or hono's portable stream. */
export interface SseSink {
  write(event: string): Promise<void>;
  /** Writes the last events and ends the response (one write instead of two). */
  end(events: string): Promise<void>;
  readonly aborted: boolean;
  onAbort(listener: () => void): void;
}

/**
 * Sends an SSE response produced by `pump`. Under @hono/node-server the events are written
 * straight to the Node response (no web-stream hop per chunk: this is the gateway's hot path);
 * elsewhere (app.request in tests, other runtimes) hono's stream helper is used.
 */
export function sendSse(
  c: Context,
  headers: Record<string, string>,
  pump: (sink: SseSink) => Promise<void>,
): Response {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing && typeof outgoing.writeHead === 'function') {
    // Headers go out with the first write (the caller already holds the first chunk), saving a
    // separate packet per stream.
    outgoing.writeHead(200, headers);
    let aborted = false;
    const listeners: Array<() => void> = [];
    outgoing.once('close', () => {
      if (outgoing.writableFinished) return;
      aborted = true;
      for (const l of listeners) l();
    });
    // Events written in one turn of the event loop leave in one socket write: a node that sends
    // its last chunks and end together costs the client one packet, not one per event plus [DONE].
    let pending = '';
    let blocked: Promise<unknown> | undefined;
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      if (pending === '' || aborted || outgoing.writableEnded) return;
      const data = pending;
      pending = '';
      // Respect backpressure so a slow client cannot make the gateway buffer a whole reply.
      if (!outgoing.write(data)) {
        blocked = Promise.race([once(outgoing, 'drain'), once(outgoing, 'close')]).finally(() => {
          blocked = undefined;
        });
      }
    };
    const sink: SseSink = {
      get aborted() {
        return aborted;
      },
      onAbort: (l) => listeners.push(l),
      async write(event) {
        if (aborted) return;
        pending += event;
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
        if (blocked) await blocked;
      },
      async end(events) {
        if (aborted || outgoing.writableEnded) return;
        const data = pending + events;
        pending = '';
        outgoing.end(data);
      },
    };
    void pump(sink).finally(() => {
      // Whatever is still buffered (e.g. a stream_interrupted event) goes out with the end.
      if (!outgoing.writableEnded) outgoing.end(aborted ? undefined : pending);
      pending = '';
    });
    return RESPONSE_ALREADY_SENT;
  }
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return stream(c, async (s) => {
    const sink: SseSink = {
      get aborted() {
        return s.aborted;
      },
      onAbort: (l) => s.onAbort(l),
      async write(event) {
        await s.write(event);
      },
      async end(events) {
        await s.write(events);
      },
    };
    await pump(sink);
  });
}
