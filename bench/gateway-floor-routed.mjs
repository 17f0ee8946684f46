// The bare pass-through proxy (gateway-floor.mjs) plus BROKE's routing decision: the request is
// parsed and validated, its agent context read, routed by the same Router the gateway uses, and
// the outcome recorded when the answer ends. No failover, relay checks, metrics or hono. What this
// adds over the floor is the routing's own cost; what the gateway adds over this is its serving
// path. argv[2]: upstream base URL; argv[3]: the model name the upstream expects. Prints the URL.
import http from 'node:http';
import {
  BrokeConfigSchema,
  ClusterState,
  parseChatBody,
  parseJsonBody,
  Router,
  requestAgentContext,
} from '@broke/core';

const target = new URL(process.argv[2]);
const model = process.argv[3] ?? 'stub';
const config = BrokeConfigSchema.parse({
  nodes: [
    {
      id: 'n',
      url: target.origin,
      kind: 'openai',
      models: [{ id: 'm', servedName: model }],
      maxConcurrency: 512,
    },
  ],
  models: [{ id: 'm', tier: 'small' }],
  routing: { explorationRate: 0, seed: 1 },
  store: { kind: 'memory' },
});
const router = new Router({ config, cluster: new ClusterState(config.nodes) });
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => {
    const t0 = performance.now();
    const parsed = parseChatBody(parseJsonBody(Buffer.concat(parts).toString()));
    const ctx = requestAgentContext(parsed, { get: (name) => req.headers[name] ?? null }, {});
    const decision = router.route({ messages: parsed.messages, model: parsed.model, requires: [] }, ctx);
    const body = JSON.stringify({ ...parsed, model });
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
          'x-broke-route-id': decision.routeId,
        });
        upRes.pipe(res);
        upRes.on('end', () => {
          const ms = performance.now() - t0;
          router
            .recordOutcome(decision.routeId, { success: true, latencyMs: ms, ttftMs: ms })
            .catch(() => {});
        });
      },
    );
    up.on('error', () => res.destroy());
    up.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
