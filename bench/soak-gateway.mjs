// The gateway under soak, in its own process: argv[2] is the node list (JSON). Prints its URL, then
// one JSON sample per second: RSS, heap, event-loop delay (p50/p99/max over that second).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BrokeConfigSchema, startGateway } from '@broke/core';

const nodes = JSON.parse(process.argv[2]);
const config = BrokeConfigSchema.parse({
  nodes: nodes.map((n) => ({ ...n, maxConcurrency: 16, requestTimeoutMs: 30_000 })),
  models: nodes.map((n, i) => ({
    id: n.models[0].id,
    tier: i === 0 ? 'small' : 'large',
    contextLength: 32_768,
  })),
  routing: { seed: 1 },
  store: { kind: 'memory' },
  gateway: { maxBodyBytes: 2 * 1024 * 1024 },
});
const gw = await startGateway({ config, port: 0, bridges: [] });
console.log(gw.url);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
setInterval(() => {
  const m = process.memoryUsage();
  console.log(
    JSON.stringify({
      t: Date.now(),
      rss: m.rss,
      heap: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      eldP50: delay.percentile(50) / 1e6,
      eldP99: delay.percentile(99) / 1e6,
      eldMax: delay.max / 1e6,
    }),
  );
  delay.reset();
}, 1000).unref();
const stop = () => gw.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
