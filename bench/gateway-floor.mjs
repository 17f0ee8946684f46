// The floor for any proxy on this machine: a bare node:http pass-through (keep-alive upstream
// pool, no routing, no validation, bytes piped as they come). What the gateway adds beyond this
// is its own work; what this adds over a direct call is the extra loopback hop and process.
// argv[2]: upstream base URL; argv[3]: the model name the upstream expects. Prints the URL.
import http from 'node:http';

const target = new URL(process.argv[2]);
const model = process.argv[3] ?? 'stub';
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => {
    const body = JSON.stringify({ ...JSON.parse(Buffer.concat(parts).toString()), model });
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
        });
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    up.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
