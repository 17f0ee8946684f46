// Which of two (or more) gateway builds adds less TTFB at 16 streams: the measure of the latency
// target in bench/gateway.ts, for builds side by side. Direct calls to the 20 ms stub, the bare
// proxy and each build take turns, round by round (the order reversed every other round), so the
// machine's drift hits each alike; one path's added p50 moves by ±50% between rounds on a shared
// VM, so give it 20 rounds and serve one build twice to see what "no difference" looks like.
//
//   (make builds as bench/gateway-ab.ts's header shows)
//   npx tsx bench/gateway-ab-latency.ts 20 480 old=node_modules/.ab-old/index.js new=node_modules/.ab-new/index.js new2=node_modules/.ab-new/index.js
//   PROXIES=3 npx tsx bench/gateway-ab-latency.ts 16 800 a.0=packages/core/dist/index.js a.1=… \
//     b.0=packages/core/dist/index.js~--min-semi-space-size=8 b.1=…~--min-semi-space-size=8
//
// Arguments: rounds, requests per path per round, then name=path-to-a-build's-index.js[@VAR][~FLAGS]
// (relative to the repository or absolute). `@VAR` starts that gateway with the environment
// variable VAR=1: an ablation switch a scratch build reads (e.g. one that skips a step), beside the
// same build without it. `~FLAGS` (comma-separated) are node flags for that gateway's process, after
// the flags the broke-cluster bin starts node with (every proxy and gateway gets those).
// Names ending in `.N` are copies of one gateway, pooled in a line of their own (a process keeps its
// own speed for a whole run on this VM); PROXIES=N starts N bare proxies, pooled likewise. Every
// gateway runs with --trace-gc: its young-generation collections are counted. Prints a table on
// stdout; writes nothing. Loopback only.
import os from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeClient, type Helper, load, median, serveNodeFlags, startHelper } from './gateway-harness.js';

const STREAMS = 16;
const [roundsArg, perPathArg, ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
const perPath = Number(perPathArg);
if (
  !(rounds >= 2) ||
  !(perPath >= 100) ||
  builds.length === 0 ||
  builds.some((b) => !/^[\w.-]+=[^@~]+(@\w+)?(~[^~]+)?$/.test(b))
) {
  console.error(
    'usage: npx tsx bench/gateway-ab-latency.ts ROUNDS REQUESTS_PER_PATH name=build/index.js[@VAR][~FLAGS] [name=…]',
  );
  process.exit(2);
}
const here = import.meta.dirname;
/** Every proxy and gateway runs with the node flags `broke-cluster serve` starts with, as in bench/gateway.ts. */
const SERVE_FLAGS = serveNodeFlags();
const root = resolve(here, '..');

interface Path {
  name: string;
  url: string;
  model: string;
  /** TTFB p50 per round, ms. */
  p50: number[];
  /** Every request's TTFB, ms. */
  all: number[];
  helper?: Helper;
  /** Young-generation collections the process reported so far (gateways run with --trace-gc). */
  gc?: { scavenges: number };
}

const stub = await startHelper([join(here, 'gateway-stub.mjs'), '20', '8']);
const nodes = [
  { id: 'stub', url: stub.url, kind: 'openai', models: [{ id: 'stub-model', servedName: 'stub' }] },
];
const path = (name: string, url: string, model: string, helper?: Helper): Path => ({
  name,
  url,
  model,
  p50: [],
  all: [],
  ...(helper ? { helper } : {}),
});
const direct = path('direct', stub.url, 'stub');
const proxyCount = Math.max(1, Number(process.env.PROXIES ?? 1));
const floors: Path[] = [];
const paths = [direct];
let failed = 0;
try {
  for (let i = 0; i < proxyCount; i++) {
    const proxy = await startHelper([...SERVE_FLAGS, join(here, 'gateway-floor.mjs'), stub.url, 'stub']);
    floors.push(path(proxyCount > 1 ? `bare proxy.${i}` : 'bare proxy', proxy.url, 'stub', proxy));
  }
  paths.push(...floors);
  for (const build of builds) {
    const [name = '', spec = ''] = build.split(/=(.*)/s);
    const [target = '', flags = ''] = spec.split('~');
    const [file = '', variable] = target.split('@');
    const dist = pathToFileURL(isAbsolute(file) ? file : join(root, file)).href;
    const seen = { scavenges: 0 };
    const args = ['--trace-gc', ...SERVE_FLAGS, ...flags.split(',').filter(Boolean)];
    const gw = await startHelper([...args, join(here, 'gateway-server.mjs'), JSON.stringify(nodes)], {
      env: { BROKE_DIST: dist, ...(variable ? { [variable]: '1' } : {}) },
      onLine: (line) => {
        if (line.includes(': Scavenge')) seen.scavenges += 1;
      },
    });
    paths.push({ ...path(name, gw.url, 'broke-auto', gw), gc: seen });
  }
  // Warm: code optimised, connections open.
  for (const p of paths) await load(p.url, p.model, STREAMS, 400, 8);
  const load0 = os.loadavg()[0] ?? Number.NaN;
  for (let r = 0; r < rounds; r++) {
    for (const p of r % 2 === 0 ? paths : [...paths].reverse()) {
      const { samples } = await load(p.url, p.model, STREAMS, perPath, 8);
      failed += samples.filter((s) => !s.ok).length;
      const ttfb = samples.filter((s) => s.ok).map((s) => s.ttfb);
      p.p50.push(median(ttfb));
      p.all.push(...ttfb);
    }
  }
  const addedPerRound = (p: Path) => p.p50.map((x, r) => x - (direct.p50[r] as number));
  const pooled = (p: Path) => median(p.all) - median(direct.all);
  // Copies of one program (`name.N`) pooled: their rounds' added p50s, and all their requests.
  const groups = new Map<string, Path[]>();
  for (const p of paths.slice(1)) {
    const group = p.name.replace(/\.\d+$/, '');
    if (group !== p.name) groups.set(group, [...(groups.get(group) ?? []), p]);
  }
  const groupRounds = (ps: Path[]) => median(ps.flatMap(addedPerRound));
  const groupPooled = (ps: Path[]) => median(ps.flatMap((p) => p.all)) - median(direct.all);
  const floorRounds = groupRounds(floors);
  const floorPooled = groupPooled(floors);
  console.log(
    `${rounds} rounds × ${perPath} requests per path, ${STREAMS} streams, stub 20 ms; load average ${load0.toFixed(2)} → ${(os.loadavg()[0] ?? Number.NaN).toFixed(2)}; failed requests ${failed}`,
  );
  console.log(
    '| path | added TTFB p50, median of rounds (ms) | ÷ bare proxy | added TTFB p50, all requests (ms) | ÷ bare proxy | scavenges |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const row = (name: string, rounds50: number, all50: number, scavenges: string) =>
    console.log(
      `| ${name} | ${rounds50.toFixed(3)} | ${(rounds50 / floorRounds).toFixed(2)} | ${all50.toFixed(3)} | ${(all50 / floorPooled).toFixed(2)} | ${scavenges} |`,
    );
  for (const p of paths.slice(1))
    row(p.name, median(addedPerRound(p)), pooled(p), p.gc ? String(p.gc.scavenges) : '–');
  for (const [group, ps] of groups) {
    const scavenges = ps.every((p) => p.gc)
      ? String(ps.reduce((n, p) => n + (p.gc?.scavenges ?? 0), 0))
      : '–';
    row(`**${group}** (${ps.length} processes)`, groupRounds(ps), groupPooled(ps), scavenges);
  }
} finally {
  for (const p of paths) p.helper?.child.kill('SIGTERM');
  stub.child.kill('SIGTERM');
  closeClient();
}
process.exit(failed > 0 ? 1 : 0);
