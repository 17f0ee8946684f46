/**
 * Gateway overhead benchmark: the same requests sent straight to a node and through the gateway,
 * at 1, 16 and 128 concurrent streams, against a constant-latency stub (the gateway's own
 * ceiling) and a real mlx_lm.server (tiny model). Reports p50/p99 TTFB and total, the added
 * latency, max req/s and the gateway's RSS at 128 streams. Loopback only; bounded in time.
 *
 *   npm run build && npx tsx bench/gateway.ts [--quick] [--no-mlx]
 * Writes bench/results/gateway.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { createDriver } from '@broke/core';
import { startMlxNode } from '../testbed/index.js';
// @ts-expect-error plain ESM helper without types
import { startStub } from './gateway-stub.mjs';

const quick = process.argv.includes('--quick');
const withMlx = !process.argv.includes('--no-mlx');
const LEVELS = [1, 16, 128];

interface Sample {
  ttfb: number;
  total: number;
  ok: boolean;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

/** One streaming request over keep-alive node:http, timing first body byte and end. */
function once(base: string, model: string, maxTokens: number): Promise<Sample> {
  const body = JSON.stringify({
    model,
    stream: true,
    max_tokens: maxTokens,
    messages: [{ role: 'user', content: 'Say hi.' }],
  });
  const url = new URL(`${base}/v1/chat/completions`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let ttfb = 0;
        res.on('data', () => {
          if (!ttfb) ttfb = performance.now() - t0;
        });
        res.on('end', () => resolve({ ttfb, total: performance.now() - t0, ok: res.statusCode === 200 }));
        res.on('error', () => resolve({ ttfb, total: performance.now() - t0, ok: false }));
        res.on('aborted', () => resolve({ ttfb, total: performance.now() - t0, ok: false }));
      },
    );
    req.on('error', () => resolve({ ttfb: 0, total: performance.now() - t0, ok: false }));
    // Bounded: a request idle for 20 s counts as an error instead of hanging the benchmark.
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

/** `concurrency` workers issuing `total` requests in all. */
async function load(base: string, model: string, concurrency: number, total: number, maxTokens: number) {
  const samples: Sample[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        samples.push(await once(base, model, maxTokens));
      }
    }),
  );
  return { samples, seconds: (performance.now() - t0) / 1000 };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

async function startGatewayProcess(nodes: unknown[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'gateway-server.mjs'), JSON.stringify(nodes)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}`)));
  });
  return { url, child };
}

interface Row {
  target: string;
  concurrency: number;
  direct: { ttfb50: number; ttfb99: number; total50: number; total99: number };
  gateway: { ttfb50: number; ttfb99: number; total50: number; total99: number };
  errors: number;
  /** direct / gateway */
  errorsSplit: string;
  rssMb?: number;
}

async function compare(
  target: string,
  direct: string,
  gateway: string,
  models: { direct: string; gateway: string },
  pid: number,
  sizes: { maxTokens: number; perLevel: (c: number) => number },
) {
  const rows: Row[] = [];
  for (const c of LEVELS) {
    const n = sizes.perLevel(c);
    await load(direct, models.direct, Math.min(c, 8), 16, sizes.maxTokens); // warm both paths
    await load(gateway, models.gateway, Math.min(c, 8), 16, sizes.maxTokens);
    // Interleave direct and gateway runs so drift (thermal, other load) hits both alike.
    const d: Sample[] = [];
    const g: Sample[] = [];
    let rss = 0;
    for (let round = 0; round < 2; round++) {
      d.push(...(await load(direct, models.direct, c, n / 2, sizes.maxTokens)).samples);
      const sampler = setInterval(() => (rss = Math.max(rss, rssKb(pid))), 20);
      g.push(...(await load(gateway, models.gateway, c, n / 2, sizes.maxTokens)).samples);
      clearInterval(sampler);
    }
    const stats = (s: Sample[]) => ({
      ttfb50: pct(
        s.map((x) => x.ttfb),
        50,
      ),
      ttfb99: pct(
        s.map((x) => x.ttfb),
        99,
      ),
      total50: pct(
        s.map((x) => x.total),
        50,
      ),
      total99: pct(
        s.map((x) => x.total),
        99,
      ),
    });
    rows.push({
      target,
      concurrency: c,
      direct: stats(d),
      gateway: stats(g),
      errors: d.filter((x) => !x.ok).length + g.filter((x) => !x.ok).length,
      errorsSplit: `${d.filter((x) => !x.ok).length} / ${g.filter((x) => !x.ok).length}`,
      ...(c === 128 ? { rssMb: rss / 1024 } : {}),
    });
    console.error(`${target} c=${c}: done (${n} requests per path)`);
  }
  return rows;
}

async function maxRps(base: string, model: string) {
  const { samples, seconds } = await load(base, model, 64, quick ? 1000 : 4000, 8);
  return samples.filter((s) => s.ok).length / seconds;
}

/** The node driver alone (openai SDK over undici), in this process: the gateway's upstream client cost. */
async function driverOnly(url: string, concurrency: number, total: number) {
  const driver = createDriver({ id: 'd', url, kind: 'openai', models: [{ id: 'm', servedName: 'stub' }] });
  const req = {
    model: 'stub',
    stream: true as const,
    max_tokens: 8,
    messages: [{ role: 'user' as const, content: 'Say hi.' }],
  };
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const t0 = performance.now();
        for await (const _ of driver.chatStream(req)) {
          // drain
        }
        times.push(performance.now() - t0);
      }
    }),
  );
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

const stub = await startStub({ delayMs: 20, chunks: 8 });
const stubZero = await startStub({ delayMs: 0, chunks: 8 });
const stubNodes = [
  { id: 'stub', url: stub.url, kind: 'openai', models: [{ id: 'stub-model', servedName: 'stub' }] },
];
const stubGw = await startGatewayProcess(stubNodes);
const rows: Row[] = [];
const driverRows: Array<{ c: number; p50: number; p99: number }> = [];
let rpsGateway = 0;
let rpsDirect = 0;
try {
  const pid = stubGw.child.pid as number;
  rows.push(
    ...(await compare(
      'stub (20 ms, 8 chunks)',
      stub.url,
      stubGw.url,
      { direct: 'stub', gateway: 'broke-auto' },
      pid,
      {
        maxTokens: 8,
        perLevel: (c) => (quick ? Math.max(100, c * 4) : Math.max(400, c * 8)),
      },
    )),
  );
  for (const c of [1, 16]) driverRows.push({ c, ...(await driverOnly(stub.url, c, quick ? 100 : 400)) });
  const zeroGw = await startGatewayProcess([
    { id: 'stub0', url: stubZero.url, kind: 'openai', models: [{ id: 'stub0', servedName: 'stub' }] },
  ]);
  try {
    rpsDirect = await maxRps(stubZero.url, 'stub');
    rpsGateway = await maxRps(zeroGw.url, 'broke-auto');
  } finally {
    zeroGw.child.kill('SIGTERM');
  }
} finally {
  stubGw.child.kill('SIGTERM');
}

if (withMlx) {
  const node = await startMlxNode({ model: 'tiny' });
  const mlxGw = await startGatewayProcess([
    { id: 'mlx', url: node.url, kind: 'mlx', models: [{ id: 'tiny' }] },
  ]);
  try {
    rows.push(
      ...(await compare(
        'mlx_lm.server (tiny, 8 tokens)',
        node.url,
        mlxGw.url,
        { direct: 'default_model', gateway: 'broke-auto' },
        mlxGw.child.pid as number,
        {
          maxTokens: 8,
          perLevel: (c) => (quick ? Math.max(20, c) : Math.max(60, c * 2)),
        },
      ).then((r) => r)),
    );
  } finally {
    mlxGw.child.kill('SIGTERM');
    await node.stop();
  }
}
await stub.close();
await stubZero.close();
agent.destroy();

const cpus = os.cpus();
const lines = [
  '# Gateway benchmark',
  '',
  `- date: ${new Date().toISOString()}`,
  `- machine: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
  `- node ${process.version}; gateway in its own process; client and load targets share another (loopback, keep-alive node:http)`,
  `- command: \`npx tsx bench/gateway.ts${quick ? ' --quick' : ''}${withMlx ? '' : ' --no-mlx'}\``,
  '',
  'Latencies in ms. **Added** = gateway − direct for the same percentile (same target, same concurrency, runs interleaved).',
  'Targets: < 1 ms p50 and < 5 ms p99 added at 16 streams.',
  '',
  '| target | streams | direct TTFB p50 / p99 | gateway TTFB p50 / p99 | **added TTFB p50 / p99** | direct total p50 / p99 | gateway total p50 / p99 | **added total p50 / p99** | errors direct / gateway |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.target} | ${r.concurrency} | ${f(r.direct.ttfb50)} / ${f(r.direct.ttfb99)} | ${f(r.gateway.ttfb50)} / ${f(r.gateway.ttfb99)} | **${f(r.gateway.ttfb50 - r.direct.ttfb50)} / ${f(r.gateway.ttfb99 - r.direct.ttfb99)}** | ${f(r.direct.total50)} / ${f(r.direct.total99)} | ${f(r.gateway.total50)} / ${f(r.gateway.total99)} | **${f(r.gateway.total50 - r.direct.total50)} / ${f(r.gateway.total99 - r.direct.total99)}** | ${r.errorsSplit} |`,
  ),
  '',
  `Max throughput (stub with no delay, 8 chunks, 64 concurrent streams): direct ${rpsDirect.toFixed(0)} req/s, through the gateway **${rpsGateway.toFixed(0)} req/s**.`,
  '',
  `Upstream client alone (the node driver: openai SDK over undici, no gateway) against the same stub: ${driverRows
    .map((r) => `${r.c} stream(s) total p50 / p99 ${f(r.p50)} / ${f(r.p99)} ms`)
    .join(
      '; ',
    )} — compare with the direct column to see how much of the added latency is the SDK call itself.`,
  '',
  `Gateway RSS at 128 concurrent streams: ${rows
    .filter((r) => r.rssMb !== undefined)
    .map((r) => `${r.target}: **${r.rssMb?.toFixed(0)} MiB**`)
    .join('; ')}.`,
  '',
  'Latency percentiles include failed requests (errors column); a request idle for 20 s is cut and counted as an error.',
  'Notes: on a 2-core machine the client, the targets and the gateway compete for CPU, so at 128',
  'streams the added latency includes queueing for a core; it is an upper bound for the gateway.',
  '',
];
writeFileSync(join(import.meta.dirname, 'results/gateway.md'), lines.join('\n'));
console.log(lines.join('\n'));
