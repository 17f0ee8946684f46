import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokeError, type RelaySink, type ServingDeps, serveChat, signalLink } from '../../src/index.js';
import { oneNodeDeps } from './one-node-deps.js';

/** A sink that notes each call as it happens, so a test can see what ran before the relay's first await. */
class CallLog implements RelaySink {
  aborted = false;
  calls: string[] = [];
  payloads: string[] = [];
  onAbort(): void {}
  push(payload: string): void {
    this.payloads.push(payload);
  }
  flush(): undefined {
    this.calls.push('flush');
    return undefined;
  }
  async end(): Promise<void> {
    this.calls.push('end');
  }
  async fail(error: BrokeError): Promise<void> {
    this.calls.push(`fail ${error.code}`);
  }
}

const chunk = (content: string, finish: string | null = null) =>
  `data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`;

describe('relay: what the node already sent goes out in the same turn', () => {
  let server: Server;
  let deps: Omit<ServingDeps, 'observers'>;
  /** The next answer's body parts, each written on its own after a pause. */
  let parts: string[] = [];

  beforeAll(async () => {
    server = createServer((rq, res) => {
      rq.resume();
      rq.on('end', async () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const p of parts.slice(0, -1)) {
          res.write(p);
          await new Promise((r) => setTimeout(r, 100));
        }
        res.end(parts.at(-1));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    deps = oneNodeDeps(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  async function stream() {
    const served = await serveChat(deps, {
      body: { messages: [{ role: 'user', content: 'hi' }], stream: true },
      ctx: {},
      client: signalLink(new AbortController().signal),
      t0: performance.now(),
    });
    if (!served.ok || !served.stream) throw new Error('expected a stream');
    return served;
  }

  it('an answer that arrived whole is relayed to its end before the relay first waits', async () => {
    parts = [`${chunk('Hel')}${chunk('lo', 'stop')}data: [DONE]\n\n`];
    const served = await stream();
    const sink = new CallLog();
    const relayed = served.relay(sink);
    // Synchronously: no promise turn between the node's answer and the sink's end.
    expect(sink.calls).toEqual(['flush', 'end']);
    await relayed;
    expect(sink.payloads.map((p) => JSON.parse(p).id)).toEqual([
      served.decision.routeId,
      served.decision.routeId,
    ]);
  });

  it('an answer still coming is relayed as it comes, ending once the node has', async () => {
    parts = [chunk('Hel'), `${chunk('lo', 'stop')}data: [DONE]\n\n`];
    const served = await stream();
    const sink = new CallLog();
    const relayed = served.relay(sink);
    expect(sink.calls).toEqual(['flush']);
    await relayed;
    expect(sink.calls).toEqual(['flush', 'flush', 'end']);
    expect(sink.payloads.map((p) => JSON.parse(p).choices[0].delta.content).join('')).toBe('Hello');
  });
});
