import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on 127.0.0.1 in front of one node that counts the chat requests the node is
 * serving at once, as the node sees them: from the request's arrival to the end of the node's
 * answer (its `[DONE]` for a stream), or the caller hanging up. Everything else (health, models) passes uncounted.
 */
export interface CountingProxy {
  url: string;
  /** Chat requests in progress now, and the most there ever were at once. */
  readonly current: number;
  readonly max: number;
  /** Chat requests the node received in all. */
  readonly total: number;
  resetMax(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let current = 0;
  let max = 0;
  let total = 0;
  const server: Server = createServer((req, res) => {
    const counted = req.method === 'POST' && (req.url ?? '').includes('/chat/completions');
    let open = counted;
    if (counted) {
      current += 1;
      total += 1;
      max = Math.max(max, current);
    }
    const done = () => {
      if (!open) return;
      open = false;
      current -= 1;
    };
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // Counted down when the node's answer is complete, before the caller can see it: at the
        // end of the body, or for a stream at its `[DONE]` (the node has finished generating; the
        // gateway gives the slot back there, while the last empty chunk may still be on its way).
        let tail = '';
        answer.on('data', (chunk: Buffer) => {
          tail = (tail + chunk.toString('latin1')).slice(-64);
          if (tail.includes('data: [DONE]')) done();
        });
        answer.on('end', done);
        answer.on('error', done);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      done();
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on('close', () => {
      done();
      out.destroy();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get current() {
      return current;
    },
    get max() {
      return max;
    },
    get total() {
      return total;
    },
    resetMax() {
      max = current;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
