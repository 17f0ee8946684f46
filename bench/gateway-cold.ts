/**
 * Why the gateway's added latency at low and bursty load exceeds what its CPU per request at full
 * load predicts: the same code runs many times slower after a pause than back to back.
 *
 *   npm run build && npx tsx bench/gateway-cold.ts [--quick]
 *
 * 1. Over loopback, one request at a time (the stub answers after 20 ms): the bare proxy, the
 *    routed proxy and the gateway, in interleaved rounds, each with bench/gateway-cold.mjs
 *    preloaded, which times its own work on the critical path (arrival → dispatch, node's
 *    headers → first byte out).
 *    A stamped copy of the gateway's build (bench/stamped-build.ts) serves beside them, so its
 *    critical path is also timed step by step (a table of its own; the stamps cost a little).
 * 2. In this process: the routed proxy's work (body parsed, agent context read, the gateway's
 *    Router deciding) back to back, and after pauses of 1 and 20 ms.
 * Writes bench/results/gateway-cold.md. Loopback only.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { routedAdmit } from './gateway-floor-routed.mjs';
import { closeClient, type Helper, median, once, startHelper } from './gateway-harness.js';
import { STAGE_STEPS, stampedBuild } from './stamped-build.js';

const quick = process.argv.includes('--quick');
const here = import.meta.dirname;
const ROUNDS = quick ? 2 : 6;
const PER_ROUND = quick ? 60 : 250;

/** Each stretch's median (µs), as bench/gateway-cold.mjs prints it when its process stops. */
interface Cold {
  toDispatch: number;
  toFirstWrite: number;
  /** Per stamp (stamped builds only), µs from the arrival (a.*) or the node's headers (b.*). */
  stages: Record<string, number>;
}

interface Path {
  name: string;
  model: string;
  p: Helper;
  cold?: Cold;
}

/** A path's helper process, with the preload, its COLD line kept once it stops. */
async function startPath(
  name: string,
  model: string,
  args: string[],
  env?: Record<string, string>,
): Promise<Path> {
  const path: Partial<Path> = { name, model };
  path.p = await startHelper(['--import', join(here, 'gateway-cold.mjs'), ...args], {
    ...(env ? { env } : {}),
    onLine: (line) => {
      if (line.startsWith('COLD ')) path.cold = JSON.parse(line.slice(5));
    },
  });
  return path as Path;
}

const stop = (p: Helper) => {
  p.child.kill('SIGTERM');
  return p.exited;
};
/** The process's own work on the critical path, µs. */
const own = (c: Cold | undefined) => (c ? c.toDispatch + c.toFirstWrite : Number.NaN);

const load0 = os.loadavg();
const stub = await startHelper([join(here, 'gateway-stub.mjs'), '20', '8']);
const nodes = [
  { id: 'stub', url: stub.url, kind: 'openai', models: [{ id: 'stub-model', servedName: 'stub' }] },
];
const paths = [
  await startPath('bare proxy', 'stub', [join(here, 'gateway-floor.mjs'), stub.url, 'stub']),
  await startPath('routed proxy', 'broke-auto', [join(here, 'gateway-floor-routed.mjs'), stub.url, 'stub']),
  await startPath('gateway', 'broke-auto', [join(here, 'gateway-server.mjs'), JSON.stringify(nodes)]),
];
const stamped = await startPath(
  'gateway, stamped',
  'broke-auto',
  [join(here, 'gateway-server.mjs'), JSON.stringify(nodes)],
  {
    BROKE_DIST: stampedBuild(join(here, '..', 'packages', 'core', 'dist'), join(here, '..', 'node_modules')),
  },
);
const timed = [...paths, stamped];
// Added TTFB for the unstamped paths only (the stamps cost a little).
const ttfb = new Map<string, number[]>(paths.map((x) => [x.name, []]));
const direct: number[] = [];
let failed = 0;
const serial = async (url: string, model: string, n: number, into?: number[]) => {
  for (let i = 0; i < n; i++) {
    const s = await once(url, model, 8);
    if (!s.ok) failed++;
    else into?.push(s.ttfb);
  }
};
try {
  for (const x of timed) await serial(x.p.url, x.model, 100); // warm: JIT, keep-alive connections
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? timed : [...timed].reverse();
    await serial(stub.url, 'stub', PER_ROUND, direct);
    for (const x of order) await serial(x.p.url, x.model, PER_ROUND, ttfb.get(x.name));
  }
} finally {
  for (const x of timed) await stop(x.p);
  await stop(stub);
  closeClient();
}

// 2. The routed proxy's work in this process, warm and after pauses (its node is never called).
const admit = routedAdmit(new URL('http://127.0.0.1:9'), 'stub');
const text = JSON.stringify({
  model: 'broke-auto',
  stream: true,
  max_tokens: 8,
  messages: [{ role: 'user', content: 'Say hi.' }],
});
/** One request's routing work, µs (its outcome recorded after the clock stops). */
const routeOnce = (): number => {
  const t0 = process.hrtime.bigint();
  const admitted = admit(text, {});
  const us = Number(process.hrtime.bigint() - t0) / 1e3;
  admitted.ended();
  return us;
};
for (let i = 0; i < 20_000; i++) routeOnce();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const routing: Array<[string, number]> = [];
{
  const xs: number[] = [];
  for (let i = 0; i < 2000; i++) xs.push(routeOnce());
  routing.push(['back to back', median(xs)]);
}
for (const pause of [1, 20]) {
  const xs: number[] = [];
  for (let i = 0; i < (quick ? 60 : 300); i++) {
    await sleep(pause);
    xs.push(routeOnce());
  }
  routing.push([`after a ${pause} ms pause`, median(xs)]);
}

const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
/** The stamped gateway's steps in path order, each stretch starting from 0 (arrival, node's headers). */
function stageRows(stages: Record<string, number>): string[] {
  const rows: string[] = [];
  let before = 0;
  let stretch = '';
  for (const [label, what] of STAGE_STEPS) {
    if (label[0] !== stretch) {
      stretch = label[0] as string;
      before = 0;
      rows.push(
        stretch === 'a'
          ? "| *from the request's arrival* | | |"
          : "| *from the node's response headers* | | |",
      );
    }
    const at = stages[label] ?? Number.NaN;
    rows.push(`| ${what} | ${f(at)} | ${f(at - before)} |`);
    before = at;
  }
  return rows;
}
const d50 = median(direct);
const floorOwn = own(paths[0]?.cold);
const lines = [
  '# Gateway: the cold critical path',
  '',
  `- date: ${new Date().toISOString()}`,
  `- machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}; node ${process.version}`,
  `- load average (1 / 5 / 15 min): ${load0.map((x) => x.toFixed(2)).join(' / ')} at start, ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')} at end`,
  `- command: \`npx tsx bench/gateway-cold.ts${quick ? ' --quick' : ''}\`; ${ROUNDS} interleaved rounds × ${PER_ROUND} requests per path, one at a time (stub: 20 ms, 8 chunks); failed requests ${failed}`,
  '',
  'One request at a time, so every request finds the process idle for ~20 ms. Medians; the two',
  "stretches are each process's own work on the request's critical path, timed inside it",
  "(bench/gateway-cold.mjs); added TTFB is the client's, over a direct call to the stub.",
  '',
  "| path | arrival → dispatch µs | node's headers → first byte out µs | own work on the critical path µs | added TTFB p50 ms |",
  '| --- | ---: | ---: | ---: | ---: |',
  ...paths.map((x) => {
    const c = x.cold;
    return `| ${x.name} | ${f(c?.toDispatch ?? Number.NaN)} | ${f(c?.toFirstWrite ?? Number.NaN)} | ${f(own(c))} | ${f(median(ttfb.get(x.name) ?? []) - d50, 2)} |`;
  }),
  '',
  `Own work over the bare proxy's: ${paths
    .slice(1)
    .map((x) => `${x.name} +${f(own(x.cold) - floorOwn)} µs`)
    .join(', ')}.`,
  '',
  "The gateway's critical path step by step (its build stamped at each step, bench/stamped-build.ts; served in the same rounds, one request at a time). Medians of each stamp's time from the request's arrival, or from the node's headers; a step is the difference of two medians, so the steps add up to about the stretch, not exactly:",
  '',
  '| step | µs to here | step µs |',
  '| --- | ---: | ---: |',
  ...stageRows(stamped.cold?.stages ?? {}),
  '',
  `For the bare proxy the same two stretches are ${f(paths[0]?.cold?.toDispatch ?? Number.NaN)} and ${f(paths[0]?.cold?.toFirstWrite ?? Number.NaN)} µs.`,
  '',
  "The routed proxy's work (body parsed, agent context read, routed by the gateway's Router) in this process, per request, median µs:",
  '',
  '| when | µs |',
  '| --- | ---: |',
  ...routing.map(([when, us]) => `| ${when} | ${f(us, 1)} |`),
  '',
];
writeFileSync(join(here, 'results', 'gateway-cold.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
process.exit(0);
