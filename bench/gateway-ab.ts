// Which of two (or more) gateway builds costs less CPU per request, on a machine whose speed drifts
// by tens of percent between runs: every build and the bare proxy serve at once, under one load
// whose requests go to them in a shuffled order, so the machine's drift hits each alike. Reports
// each one's CPU per request per round and its ratio to the proxy's in the same round.
//
//   cp -r packages/core/dist node_modules/.ab-new      # a build per name, inside the repo so its
//   git stash; npm run build; cp -r packages/core/dist node_modules/.ab-old; git stash pop  # dependencies resolve
//   npx tsx bench/gateway-ab.ts 6 6000 old=node_modules/.ab-old/index.js new=node_modules/.ab-new/index.js
//
// Arguments: rounds, requests per path per round, then name=path-to-a-build's-index.js (relative to
// the repository or absolute). The stub answers at once with 8 chunks; 64 streams per path.
// Prints a table on stdout; writes nothing. Loopback only.
import os from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simulation } from '@broke/core';
import { closeClient, cpuSeconds, type Helper, median, once, startHelper } from './gateway-harness.js';

const [roundsArg, perPathArg, ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
const perPath = Number(perPathArg);
if (!(rounds >= 1) || !(perPath >= 100) || builds.length === 0 || builds.some((b) => !/^[\w-]+=.+/.test(b))) {
  console.error('usage: npx tsx bench/gateway-ab.ts ROUNDS REQUESTS_PER_PATH name=build/index.js [name=…]');
  process.exit(2);
}
const here = import.meta.dirname;
const root = resolve(here, '..');

/** Seeded, so runs send the same order. */
const rng = new simulation.Rng(1);

const stub = await startHelper([join(here, 'gateway-stub.mjs'), '0', '8']);
const proxy = await startHelper([join(here, 'gateway-floor.mjs'), stub.url, 'stub']);
const nodes = [
  { id: 'stub', url: stub.url, kind: 'openai', models: [{ id: 'stub-model', servedName: 'stub' }] },
];

/** One server under load and what it cost, round by round. */
interface Path extends Helper {
  name: string;
  model: string;
  /** CPU µs per answered request, per round. */
  us: number[];
  served: number;
  cpu0: number;
}
const path = (name: string, started: Helper, model: string): Path => ({
  name,
  ...started,
  model,
  us: [],
  served: 0,
  cpu0: 0,
});
const pid = (p: Path) => p.child.pid as number;

const proxyPath = path('bare proxy', proxy, 'stub');
const paths = [proxyPath];
try {
  for (const build of builds) {
    const [name = '', file = ''] = build.split(/=(.*)/s);
    const dist = pathToFileURL(isAbsolute(file) ? file : join(root, file)).href;
    const gw = await startHelper([join(here, 'gateway-server.mjs'), JSON.stringify(nodes)], {
      env: { BROKE_DIST: dist },
    });
    paths.push(path(name, gw, 'broke-auto'));
  }
  // Warm: code optimised, connections open.
  for (const p of paths)
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = 0; i < 40; i++) await once(p.url, p.model, 8);
      }),
    );
  const load0 = os.loadavg()[0] ?? Number.NaN;
  let failed = 0;
  for (let r = 0; r < rounds; r++) {
    // Each path's requests, shuffled together.
    const order: Path[] = paths.flatMap((p) => Array<Path>(perPath).fill(p));
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j] as Path, order[i] as Path];
    }
    for (const p of paths) {
      p.served = 0;
      p.cpu0 = cpuSeconds(pid(p));
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 * paths.length }, async () => {
        while (next < order.length) {
          const p = order[next++] as Path;
          if ((await once(p.url, p.model, 8)).ok) p.served++;
          else failed++;
        }
      }),
    );
    for (const p of paths) p.us.push(((cpuSeconds(pid(p)) - p.cpu0) / p.served) * 1e6);
  }
  console.log(
    `${rounds} rounds × ${perPath} requests per path, shuffled together; load average ${load0.toFixed(2)} → ${(os.loadavg()[0] ?? Number.NaN).toFixed(2)}; failed requests ${failed}`,
  );
  console.log('| path | CPU µs/request, median | ÷ bare proxy, median | ÷ bare proxy per round |');
  console.log('| --- | ---: | ---: | --- |');
  for (const p of paths) {
    const ratios = p.us.map((u, r) => u / (proxyPath.us[r] as number));
    console.log(
      `| ${p.name} | ${median(p.us).toFixed(1)} | ${median(ratios).toFixed(2)} | ${ratios.map((x) => x.toFixed(2)).join(' ')} |`,
    );
  }
} finally {
  for (const p of paths) p.child.kill('SIGTERM');
  stub.child.kill('SIGTERM');
  closeClient();
}
process.exit(0);
