/**
 * Instructions per request, counted by valgrind's callgrind: a measure of the gateway's own work
 * that does not drift with the machine the way time does on a shared 2-core VM (two runs of one
 * build agree within a few percent; time per request moves by tens). It counts user-space
 * instructions only (no kernel, no cache or branch misses), so it finds work, not latency.
 *
 * The bare proxy (bench/gateway-floor.mjs) and the gateway each run under callgrind, node with
 * `--single-threaded` (no background compiler or GC thread racing the count); WARM requests at 16
 * streams against the no-delay stub (8 chunks), then COUNTED requests with instrumentation on.
 * Reports instructions per request of each, and the gateway's biggest functions by their own
 * instructions from a second gateway run with `--perf-basic-prof` (its perf map names JIT code).
 *
 *   npx tsx bench/gateway-instructions.ts [WARM COUNTED]     (default 8000 1500; ~3 min)
 * Needs valgrind (`apt-get install valgrind`; installed here when run as root). Writes
 * bench/results/gateway-instructions.md. Loopback only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { closeClient, load, startHelper } from './gateway-harness.js';

const warm = Number(process.argv[2] ?? 8000);
const counted = Number(process.argv[3] ?? 1500);
if (!(warm >= 0) || !(counted >= 100)) {
  console.error('usage: npx tsx bench/gateway-instructions.ts [WARM >= 0] [COUNTED >= 100]');
  process.exit(2);
}
const here = import.meta.dirname;

function ensureValgrind(): void {
  if (spawnSync('valgrind', ['--version']).status === 0) return;
  if (process.getuid?.() === 0) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'valgrind'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return;
  }
  console.error('valgrind is not installed: run `apt-get install valgrind` (as root), then this again');
  process.exit(1);
}

interface Counted {
  perRequest: number;
  /** Own instructions per request of the biggest functions, JIT code named from the perf map. */
  top: Array<{ name: string; perRequest: number }>;
  failed: number;
}

/** A JIT address → name lookup from node's perf map (`/tmp/perf-PID.map`). */
function perfNames(pid: number): (address: number) => string | undefined {
  const file = `/tmp/perf-${pid}.map`;
  if (!existsSync(file)) return () => undefined;
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const [start, size, ...name] = line.split(' ');
      return start && size
        ? [{ start: Number.parseInt(start, 16), size: Number.parseInt(size, 16), name: name.join(' ') }]
        : [];
    })
    .sort((a, b) => a.start - b.start);
  rmSync(file, { force: true });
  return (address) => {
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const row = rows[mid] as (typeof rows)[number];
      if (address < row.start) hi = mid - 1;
      else if (address >= row.start + row.size) lo = mid + 1;
      else return row.name;
    }
    return undefined;
  };
}

const short = (name: string) =>
  name
    .replace(/file:\/\/\S*\/(packages\/[^ ]+|node_modules\/[^ ]+|bench\/[^ ]+)/, '$1')
    .replace(/ \[\/usr\/\S+\]$/, '')
    .replace(/^\?\?\?:/, '')
    .slice(0, 110);

/** `named`: node writes a perf map to name JIT code, which makes every young-GC move cost more (V8 logs it). */
async function count(script: string, args: string[], model: string, named: boolean): Promise<Counted> {
  const dir = mkdtempSync(join(os.tmpdir(), 'broke-callgrind-'));
  const out = join(dir, 'callgrind.out');
  const flags = ['--single-threaded', ...(named ? ['--perf-basic-prof'] : [])];
  const helper = await startHelper([...flags, join(here, script), ...args], {
    wrap: [
      'valgrind',
      '--tool=callgrind',
      '--instr-atstart=no',
      '--smc-check=all-non-file',
      `--callgrind-out-file=${out}.%p`,
    ],
  });
  const pid = helper.child.pid as number;
  try {
    const failedOf = async (total: number) =>
      (await load(helper.url, model, 16, total, 8)).samples.filter((x) => !x.ok).length;
    let failed = await failedOf(warm);
    execFileSync('callgrind_control', ['-i', 'on', String(pid)], { stdio: 'ignore' });
    failed += await failedOf(counted);
    execFileSync('callgrind_control', ['-i', 'off', String(pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
    // The dump is the biggest file (the one at exit holds only what ran after instrumentation stopped).
    const dumps = readdirSync(dir)
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    const annotated = execFileSync('callgrind_annotate', ['--threshold=99', dumps[0] as string], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const total = /([\d,]+) \([\s\d.]+%\)\s+PROGRAM TOTALS/.exec(annotated);
    if (!total) throw new Error('callgrind_annotate printed no program total');
    const name = perfNames(pid);
    const own = new Map<string, number>();
    for (const line of annotated.split('\n')) {
      const m = /^\s*([\d,]+) \([\s\d.]+%\)\s+(.+)$/.exec(line);
      if (!m || m[2]?.includes('PROGRAM TOTALS')) continue;
      const fn = m[2] as string;
      const jit = /^\?\?\?:0x([0-9a-f]+)/.exec(fn);
      const key = short(jit ? (name(Number.parseInt(jit[1] as string, 16)) ?? 'JIT code (unnamed)') : fn);
      own.set(key, (own.get(key) ?? 0) + Number((m[1] as string).replaceAll(',', '')));
    }
    const top = [...own]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([n, ir]) => ({ name: n, perRequest: ir / counted }));
    return { perRequest: Number(total[1]?.replaceAll(',', '')) / counted, top, failed };
  } finally {
    helper.child.kill('SIGTERM');
    await helper.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

ensureValgrind();
const started = new Date();
const stub = await startHelper([join(here, 'gateway-stub.mjs'), '0', '8']);
const nodes = [
  { id: 'stub', url: stub.url, kind: 'openai', models: [{ id: 'stub-model', servedName: 'stub' }] },
];
let proxy: Counted;
let gateway: Counted;
let named: Counted;
try {
  proxy = await count('gateway-floor.mjs', [stub.url, 'stub'], 'stub', false);
  gateway = await count('gateway-server.mjs', [JSON.stringify(nodes)], 'broke-auto', false);
  named = await count('gateway-server.mjs', [JSON.stringify(nodes)], 'broke-auto', true);
} finally {
  stub.child.kill('SIGTERM');
  await stub.exited;
  closeClient();
}
if (proxy.failed + gateway.failed + named.failed > 0) {
  console.error(
    `failed requests: bare proxy ${proxy.failed}, gateway ${gateway.failed + named.failed}; no result written`,
  );
  process.exit(1);
}

const k = (n: number) => Math.round(n).toLocaleString('en-US');
const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const lines = [
  '# Gateway: instructions per request (callgrind)',
  '',
  `- date: ${started.toISOString()}`,
  `- machine: ${cpu} × ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; node ${process.version}; ${execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim()}`,
  `- command: \`npx tsx bench/gateway-instructions.ts ${warm} ${counted}\``,
  `- each process under callgrind (node --single-threaded); ${warm} requests to warm up, then ${counted} counted, 16 streams, no-delay stub (8 chunks), 0 failed`,
  '',
  'User-space instructions only: no kernel time, no cache or branch misses, so compare work, not',
  "latency (the gateway's time per request is mostly misses: see docs/gateway.md). A run still",
  'compiling code in the counted window reads a few percent high. Young-generation GC is counted',
  'too, and weighs more here than in real time: V8 sizes the young generation from allocation per',
  "unit of time, which valgrind's slowdown changes (at full load without valgrind, `--trace-gc`",
  "puts the gateway's scavenges at ~4% of its CPU time).",
  '',
  '| process | instructions per request | ÷ bare proxy |',
  '| --- | ---: | ---: |',
  `| bare proxy | ${k(proxy.perRequest)} | 1.00 |`,
  `| gateway | ${k(gateway.perRequest)} | ${(gateway.perRequest / proxy.perRequest).toFixed(2)} |`,
  '',
  `The gateway's biggest functions by their own instructions per request, from a second run with node's perf map naming the JIT code (\`*\` optimized, \`^\` baseline, \`~\` interpreted; that run counts ${k(named.perRequest)} per request: with the map, V8 logs every object the young-generation GC moves):`,
  '',
  '| instructions per request | function |',
  '| ---: | --- |',
  ...named.top.map((t) => `| ${k(t.perRequest)} | \`${t.name.replaceAll('|', '\\|')}\` |`),
  '',
];
writeFileSync(join(here, 'results', 'gateway-instructions.md'), lines.join('\n'));
console.log(lines.join('\n'));
