// A constant-latency OpenAI-compatible load target: waits DELAY_MS, then streams CHUNKS fixed
// chunks (or one JSON completion). Measures the gateway's own ceiling, free of model noise.
import http from 'node:http';

export function startStub({ delayMs = 20, chunks = 8, host = '127.0.0.1', port = 0 } = {}) {
  const chunk = (i) =>
    `data: {"id":"stub","object":"chat.completion.chunk","created":1,"model":"stub","choices":[{"index":0,"delta":{"content":"tok${i} "},"finish_reason":null}]}\n\n`;
  const usage = `data: {"id":"stub","object":"chat.completion.chunk","created":1,"model":"stub","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":${chunks},"total_tokens":${chunks + 5}}}\n\n`;
  const stop =
    'data: {"id":"stub","object":"chat.completion.chunk","created":1,"model":"stub","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
  const body = `${Array.from({ length: chunks }, (_, i) => chunk(i)).join('')}${stop}${usage}data: [DONE]\n\n`;
  const completion = JSON.stringify({
    id: 'stub',
    object: 'chat.completion',
    created: 1,
    model: 'stub',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }],
    usage: { prompt_tokens: 5, completion_tokens: chunks, total_tokens: chunks + 5 },
  });
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[{"id":"stub","object":"model"}]}');
        return;
      }
      const stream = raw.includes('"stream":true');
      setTimeout(() => {
        if (!stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(completion);
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(body);
      }, delayMs);
    });
  });
  return new Promise((resolve) =>
    server.listen(port, host, () => {
      const { port: bound } = server.address();
      resolve({ url: `http://${host}:${bound}`, close: () => new Promise((r) => server.close(r)) });
    }),
  );
}

// `node bench/gateway-stub.mjs DELAY_MS CHUNKS`: serve in a process of its own, print the URL.
if (import.meta.url === `file://${process.argv[1]}`) {
  const stub = await startStub({
    delayMs: Number(process.argv[2] ?? 20),
    chunks: Number(process.argv[3] ?? 8),
  });
  console.log(stub.url);
  process.on('SIGTERM', () => stub.close().then(() => process.exit(0)));
}
