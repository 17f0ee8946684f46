// One gateway replica for bench/replicas.ts, in its own process. argv[2]: the stub node's URL;
// argv[3]: JSON store config (`{"kind":"memory"}` or `{"kind":"redis","url":...,"prefix":...}`).
// Prints the URL on stdout.
import { BrokeConfigSchema, startGateway } from '@broke/core';

const config = BrokeConfigSchema.parse({
  nodes: [
    {
      id: 'stub',
      url: process.argv[2],
      models: [{ id: 'stub' }],
      // Slots never run out: what is measured is what taking and giving one back costs.
      maxConcurrency: 512,
      requestTimeoutMs: 120_000,
    },
  ],
  models: [{ id: 'stub', tier: 'small' }],
  routing: { explorationRate: 0, seed: 1 },
  store: JSON.parse(process.argv[3] ?? '{"kind":"memory"}'),
  observability: { metrics: { enabled: false } },
});
const gw = await startGateway({ config, port: 0, bridges: [] });
console.log(gw.url);
process.on('SIGINT', () => gw.close().then(() => process.exit(0)));
process.on('SIGTERM', () => gw.close().then(() => process.exit(0)));
