// The gateway under test, in its own process so its RSS and event loop are its own.
// argv[2]: JSON of the node list; argv[3] (optional): JSON options, `{"metrics": false}` turns
// /metrics and its counting off. BROKE_DIST (a file URL of a build's index.js) serves that build
// instead of the workspace's (bench/gateway-ab.ts). Prints the URL on stdout.
const { BrokeConfigSchema, startGateway } = await import(process.env.BROKE_DIST ?? '@broke/core');

const nodes = JSON.parse(process.argv[2]);
const options = JSON.parse(process.argv[3] ?? '{}');
const config = BrokeConfigSchema.parse({
  nodes: nodes.map((n) => ({ ...n, maxConcurrency: 512, requestTimeoutMs: 120_000 })),
  models: nodes.map((n) => ({ id: n.models[0].id, tier: 'small' })),
  routing: { explorationRate: 0, seed: 1 },
  store: { kind: 'memory' },
  observability: { metrics: { enabled: options.metrics ?? true } },
});
const gw = await startGateway({ config, port: 0, bridges: [] });
console.log(gw.url);
process.on('SIGINT', () => gw.close().then(() => process.exit(0)));
process.on('SIGTERM', () => gw.close().then(() => process.exit(0)));
