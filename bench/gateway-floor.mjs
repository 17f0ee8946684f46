// The floor for any proxy on this machine: a bare node:http pass-through (keep-alive upstream
// pool, no routing, no validation, bytes piped as they come). What the gateway adds beyond this
// is its own work; what this adds over a direct call is the extra loopback hop and process.
// argv[2]: upstream base URL; argv[3]: the model name the upstream expects. Prints the URL.
import http from 'node:http';

/**
 * Serves the floor. `admit` (only gateway-floor-routed.mjs passes one) sees each request's body
 * text and headers before it goes upstream and returns the parsed body, headers to add to the
 * answer, and a callback for the answer's end.
 */
export function startFloor(target, model, admit) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const server = http.createServer((req, res) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString();
      const admitted = admit?.(text, req.headers);
      const body = JSON.stringify({ ...(admitted ? admitted.body : JSON.parse(text)), model });
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, {
            'content-type': upRes.headers['content-type'] ?? 'text/plain',
            ...admitted?.headers,
          });
          upRes.pipe(res);
          if (admitted) upRes.on('end', admitted.ended);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
  process.on('SIGTERM', () => process.exit(0));
}

if (import.meta.url === `file://${process.argv[1]}`)
  startFloor(new URL(process.argv[2]), process.argv[3] ?? 'stub');
