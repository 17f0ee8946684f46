/** Who is watching: a key digest sees its own routes; undefined (admin key, open gateway) sees all. */
export interface Viewer {
  owner: string | undefined;
}

const encoder = new TextEncoder();

/**
 * One dashboard connection: a server-sent event stream with a bounded buffer. Events queue in the
 * stream until the socket takes them (@hono/node-server waits for 'drain'); a client that falls
 * `maxBufferBytes` behind is dropped, so a slow or stalled browser costs bounded memory and never
 * slows the others. It reconnects and starts from a fresh snapshot.
 */
export class SseClient {
  readonly response: Response;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private closed = false;
  /** True when it was dropped for falling behind (not when it left). */
  dropped = false;

  constructor(
    readonly viewer: Viewer,
    maxBufferBytes: number,
    private readonly onClose: (client: SseClient) => void,
    /** Ends the connection at once (the Node response's destroy), for a client that stalled. */
    private readonly abort?: () => void,
  ) {
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        cancel: () => this.finish(),
      },
      { highWaterMark: maxBufferBytes, size: (chunk) => chunk.byteLength },
    );
    this.response = new Response(stream, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        // Reverse proxies (nginx) must pass events on as they come, not buffer them.
        'x-accel-buffering': 'no',
      },
    });
  }

  get open(): boolean {
    return !this.closed;
  }

  /** Queue one event; false when the client is gone or was just dropped for being too far behind. */
  send(event: string, data: unknown): boolean {
    return this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** An SSE comment: keeps idle connections (and proxies in between) from timing out. */
  ping(): boolean {
    return this.write(': ping\n\n');
  }

  close(): void {
    if (this.closed) return;
    try {
      this.controller?.close();
    } catch {
      // Already closed or errored by the reader going away.
    }
    this.finish();
  }

  private write(text: string): boolean {
    const controller = this.controller;
    if (this.closed || !controller) return false;
    controller.enqueue(encoder.encode(text));
    if ((controller.desiredSize ?? 0) < 0) {
      // Over the buffer. A stalled socket never asks for more, so ending the stream would wait
      // forever: cut the connection (its close cancels the stream). Without a socket to cut
      // (app.request), error the stream so its reader stops.
      this.dropped = true;
      this.finish();
      if (this.abort) {
        this.abort();
        controller.close();
      } else controller.error(new Error('dashboard client too slow'));
      return false;
    }
    return true;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }
}
