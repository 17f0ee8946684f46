/**
 * Gateway replicas benchmark (issue 13): what sharing node slots, cooldowns and sessions through
 * Redis costs, and what a second replica adds. Every path goes through HAProxy with the config
 * from docs/scaling.md, in front of a no-delay stub node (bench/gateway-stub.mjs):
 *
 *   - one replica, `store.kind: memory` (local slots: the baseline)
 *   - one replica, `store.kind: redis` (shared slots: one round trip to take, one to give back)
 *   - the same with an `x-broke-session` header (one more round trip: the session's node)
 *   - two replicas sharing Redis
 *
 * At 1 stream: p50/p99 time to first byte and total, the added latency against the baseline.
 * At 64 streams: max req/s. Plus the bare Redis cost: acquire + release of a slot in-process.
 * Client, stub, HAProxy, Redis and each gateway are separate processes; runs are interleaved.
 * Loopback only; bounded in time. On a machine with few cores the client and HAProxy compete
 * with the gateways: read req/s as a comparison between the paths, not as a ceiling.
 *
 *   npm run build && npx tsx bench/replicas.ts [--quick]
 * Writes bench/results/replicas.md (--quick: a smoke run, written to replicas-quick.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { ClusterState, ReplicaState } from '@broke/core';
import { type RedisServer, startHaproxy, startRedis } from '../testbed/index.js';
import { workers } from './gateway-harness.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const LATENCY_N = quick ? 100 : 1000;
const THROUGHPUT_C = 64;
const THROUGHPUT_N = quick ? 400 : 6000;
const SLOT_N = quick ? 500 : 5000;

interface Sample {
  ttfb: number;
  total: number;
  ok: boolean;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

function once(base: string, session: string | undefined): Promise<Sample> {
  const body = JSON.stringify({
    model: 'stub',
    stream: true,
    max_tokens: 8,
    messages: [{ role: 'user', content: 'Say hi.' }],
  });
  const url = new URL(`${base}/v1/chat/completions`);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (session) headers['x-broke-session'] = session;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers },
      (res) => {
        let ttfb = 0;
        res.on('data', () => {
          if (!ttfb) ttfb = performance.now() - t0;
        });
        res.on('end', () => resolve({ ttfb, total: performance.now() - t0, ok: res.statusCode === 200 }));
        res.on('error', () => resolve({ ttfb, total: performance.now() - t0, ok: false }));
      },
    );
    req.on('error', () => resolve({ ttfb: 0, total: performance.now() - t0, ok: false }));
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

async function load(base: string, concurrency: number, total: number, sessions = false) {
  const { results, seconds } = await workers(concurrency, total, (i) =>
    once(base, sessions ? `s-${i % 100}` : undefined),
  );
  return { samples: results, seconds };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const f = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

function startProcess(script: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (d) => resolve({ url: String(d).trim().split('\n')[0] as string, child }));
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const doc = readFileSync(join(import.meta.dirname, '../docs/scaling.md'), 'utf8');
const haproxyConfig = /```haproxy\n([\s\S]*?)```/.exec(doc)?.[1] as string;
const hostPort = (url: string) => url.replace('http://', '');

/** Acquire + release of one slot through ReplicaState, in this process: the bare Redis cost. */
async function slotCost(redis: RedisServer): Promise<{ p50: number; p99: number }> {
  const cluster = new ClusterState([
    { id: 'n', url: 'http://127.0.0.1:1', maxConcurrency: 512, queueLimit: 0 } as never,
  ]);
  const state = new ReplicaState({ url: redis.url, prefix: 'bench-slot:', cluster });
  await state.start();
  const times: number[] = [];
  for (let i = 0; i < SLOT_N; i++) {
    const t0 = performance.now();
    const slot = await state.acquire('n', 0);
    slot?.release();
    // release() sends without waiting; wait for the count to come back so runs do not overlap.
    while ((cluster.node('n')?.inFlight ?? 0) > 0) await new Promise((r) => setImmediate(r));
    times.push(performance.now() - t0);
  }
  await state.close();
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

const loadAtStart = os.loadavg();
const redis = await startRedis();
const stub = await startProcess('gateway-stub.mjs', ['0', '8']);
const storeRedis = JSON.stringify({ kind: 'redis', url: redis.url, prefix: 'bench:' });
const memory = await startProcess('replicas-server.mjs', [stub.url, '{"kind":"memory"}']);
const shared1 = await startProcess('replicas-server.mjs', [stub.url, storeRedis]);
const shared2 = await startProcess('replicas-server.mjs', [stub.url, storeRedis]);
const lbs = {
  memory: await startHaproxy(haproxyConfig, {
    BROKE_GW1: hostPort(memory.url),
    BROKE_GW2: hostPort(memory.url),
  }),
  one: await startHaproxy(haproxyConfig, {
    BROKE_GW1: hostPort(shared1.url),
    BROKE_GW2: hostPort(shared1.url),
  }),
  two: await startHaproxy(haproxyConfig, {
    BROKE_GW1: hostPort(shared1.url),
    BROKE_GW2: hostPort(shared2.url),
  }),
};

interface Path {
  name: string;
  url: string;
  sessions: boolean;
  latency: Sample[];
  throughput: number[];
  errors: number;
}
const paths: Path[] = [
  {
    name: 'one replica, store memory (local slots)',
    url: lbs.memory.url,
    sessions: false,
    latency: [],
    throughput: [],
    errors: 0,
  },
  {
    name: 'one replica, store redis (shared slots)',
    url: lbs.one.url,
    sessions: false,
    latency: [],
    throughput: [],
    errors: 0,
  },
  {
    name: 'one replica, store redis, x-broke-session',
    url: lbs.one.url,
    sessions: true,
    latency: [],
    throughput: [],
    errors: 0,
  },
  {
    name: 'two replicas, store redis',
    url: lbs.two.url,
    sessions: false,
    latency: [],
    throughput: [],
    errors: 0,
  },
];

let slot = { p50: Number.NaN, p99: Number.NaN };
try {
  for (const p of paths) await load(p.url, 8, 64, p.sessions);
  slot = await slotCost(redis);
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of paths) {
      const lat = await load(p.url, 1, LATENCY_N, p.sessions);
      p.latency.push(...lat.samples);
      const thr = await load(p.url, THROUGHPUT_C, THROUGHPUT_N, p.sessions);
      p.throughput.push(thr.samples.length / thr.seconds);
      p.errors += [...lat.samples, ...thr.samples].filter((s) => !s.ok).length;
    }
  }
} finally {
  for (const lb of Object.values(lbs)) await lb.stop();
  for (const c of [memory, shared1, shared2, stub]) await stop(c.child);
  await redis.stop();
}
const loadAtEnd = os.loadavg();

const base = paths[0] as Path;
const p50 = (p: Path, k: 'ttfb' | 'total') =>
  pct(
    p.latency.map((s) => s[k]),
    50,
  );
const p99 = (p: Path, k: 'ttfb' | 'total') =>
  pct(
    p.latency.map((s) => s[k]),
    99,
  );
const best = (p: Path) => Math.max(...p.throughput);
const cpu = os.cpus();
const lines = [
  '# Gateway replicas: shared state through Redis, one replica vs two',
  '',
  `Run ${new Date().toISOString()} by \`npx tsx bench/replicas.ts${quick ? ' --quick' : ''}\`.`,
  `Machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}.`,
  `Load average (1/5/15 min) at start ${loadAtStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${loadAtEnd.map((x) => x.toFixed(2)).join(' / ')}.`,
  '',
  'Every path: client → HAProxy (docs/scaling.md config) → gateway(s) → no-delay stub node (8 chunks),',
  `all on loopback, separate processes. Latency: 1 stream, ${LATENCY_N} requests × ${ROUNDS} rounds;`,
  `throughput: ${THROUGHPUT_C} streams, ${THROUGHPUT_N} requests per round, best round. Rounds interleave the paths.`,
  '',
  '| path | TTFB p50 ms | TTFB p99 ms | total p50 ms | total p99 ms | added p50 vs memory ms | max req/s | errors |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...paths.map(
    (p) =>
      `| ${p.name} | ${f(p50(p, 'ttfb'))} | ${f(p99(p, 'ttfb'))} | ${f(p50(p, 'total'))} | ${f(p99(p, 'total'))} | ${p === base ? '–' : f(p50(p, 'total') - p50(base, 'total'))} | ${f(best(p), 0)} | ${p.errors} |`,
  ),
  '',
  `Bare cost of a shared slot (acquire + release through ReplicaState, one Lua script each, in-process, ${SLOT_N} times): p50 ${f(slot.p50, 3)} ms, p99 ${f(slot.p99, 3)} ms.`,
  '',
];
const out = join(import.meta.dirname, 'results', quick ? 'replicas-quick.md' : 'replicas.md');
writeFileSync(out, `${lines.join('\n')}`);
console.log(lines.join('\n'));
console.log(`wrote ${out}`);
