/**
 * Soak: the gateway under steady mixed traffic for a long time (default 30 minutes), hostile
 * requests included, with its RSS and event-loop delay sampled every second. The point is that
 * memory levels off (the route memory, session affinity and learned statistics are bounded) and
 * that no request, hostile or not, blocks the event loop.
 *
 *   npm run build && npx tsx bench/soak.ts [--minutes 30] [--rate 40]
 * Writes bench/results/soak.md and soak.svg. Loopback only: two constant-latency stub nodes
 * (bench/gateway-stub.mjs) and the gateway (bench/soak-gateway.mjs) in processes of their own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? Number.NaN : Number(process.argv[i + 1]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const MINUTES = arg('minutes', 30);
/** Requests started per second (steady; not closed-loop, so a slow gateway shows as backlog). */
const RATE = arg('rate', 40);
const OUT = join(import.meta.dirname, 'results', 'soak');

interface GatewaySample {
  t: number;
  rss: number;
  heap: number;
  /** Memory outside the JS heap that V8 knows of (Buffers and other externals). */
  external?: number;
  eldP50: number;
  eldP99: number;
  eldMax: number;
}

function startProcess(
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buffer = '';
    let url: string | undefined;
    child.stdout?.on('data', (d) => {
      buffer += d;
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!url && line.startsWith('http')) {
          url = line.trim();
          resolve({ child, url, lines });
        } else lines.push(line);
        nl = buffer.indexOf('\n');
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

/** One request of the mix; resolves to its class and status (never rejects). */
type Kind = 'chat' | 'stream' | 'feedback' | 'listing' | 'hostile';
const ROLES = Array.from({ length: 3000 }, (_, i) => `role-${i}`);
let n = 0;

function hostileBody(i: number): string {
  switch (i % 6) {
    case 0: // nested deep in an unknown field
      return `{"messages":[{"role":"user","content":"x"}],"x":${'['.repeat(5000)}1${']'.repeat(5000)}}`;
    case 1: // lone surrogate
      return '{"messages":[{"role":"user","content":"a \\ud800 b"}]}';
    case 2: // 256 KB of adversarial repetition
      return JSON.stringify({
        max_tokens: 4,
        messages: [{ role: 'user', content: "what does 'x ".repeat(20_000) }],
      });
    case 3:
      return '{"messages": [';
    case 4:
      return JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
    default:
      return JSON.stringify({ messages: [{ role: 'tool', content: 5 }] });
  }
}

async function one(base: string): Promise<{ kind: Kind; status: number }> {
  const i = n++;
  const r = i % 20;
  const kind: Kind =
    r < 10 ? 'chat' : r < 14 ? 'stream' : r < 16 ? 'feedback' : r < 17 ? 'listing' : 'hostile';
  // Feedback and listings use the role of a chat request from the same block of 20, so ratings
  // find routes to rate (and fill the feedback paths' memory too).
  const role = ROLES[(kind === 'feedback' ? i - r : i) % ROLES.length] as string;
  const headers = {
    'content-type': 'application/json',
    'x-broke-role': role,
    'x-broke-session': `s-${i % 5000}`,
    'x-broke-team': `team-${i % 40}`,
  };
  try {
    let res: Response;
    if (kind === 'chat' || kind === 'stream') {
      res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: 'broke-auto',
          stream: kind === 'stream',
          max_tokens: 16,
          messages: [{ role: 'user', content: `Request ${i}: review this change for bugs.` }],
        }),
        signal: AbortSignal.timeout(30_000),
      });
    } else if (kind === 'feedback') {
      res = await fetch(`${base}/v1/feedback`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ role, last: 1, score: (i % 10) / 10 }),
        signal: AbortSignal.timeout(30_000),
      });
    } else if (kind === 'listing') {
      res = await fetch(`${base}/v1/routes?team=team-${i % 40}&limit=20`, {
        signal: AbortSignal.timeout(30_000),
      });
    } else {
      res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers,
        body: hostileBody(i),
        signal: AbortSignal.timeout(30_000),
      });
    }
    await res.arrayBuffer();
    return { kind, status: res.status };
  } catch {
    return { kind, status: 0 };
  }
}

function svg(samples: GatewaySample[]): string {
  const W = 760;
  const H = 300;
  const pad = 50;
  const t0 = samples[0]?.t ?? 0;
  const tMax = Math.max(1, (samples.at(-1)?.t ?? 1) - t0);
  const rssMax = Math.max(...samples.map((s) => s.rss / 1e6)) * 1.1;
  const eldMax = Math.max(5, ...samples.map((s) => s.eldP99)) * 1.1;
  const x = (t: number) => pad + ((t - t0) / tMax) * (W - 2 * pad);
  const yR = (v: number) => H - pad - (v / rssMax) * (H - 2 * pad);
  const yE = (v: number) => H - pad - (v / eldMax) * (H - 2 * pad);
  const line = (pts: string, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#333"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#333"/>`,
    `<text x="${W / 2}" y="${H - 15}" text-anchor="middle">minutes (0–${(tMax / 60000).toFixed(0)})</text>`,
    `<text x="10" y="${pad - 10}" fill="#1f77b4">RSS MB (0–${rssMax.toFixed(0)})</text>`,
    `<text x="${W - 10}" y="${pad - 10}" text-anchor="end" fill="#d62728">event-loop delay p99 ms (0–${eldMax.toFixed(0)})</text>`,
    line(samples.map((s) => `${x(s.t).toFixed(1)},${yR(s.rss / 1e6).toFixed(1)}`).join(' '), '#1f77b4'),
    line(samples.map((s) => `${x(s.t).toFixed(1)},${yE(s.eldP99).toFixed(1)}`).join(' '), '#d62728'),
    '</svg>',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const stubs = await Promise.all([
    startProcess('gateway-stub.mjs', ['20', '8']),
    startProcess('gateway-stub.mjs', ['60', '8']),
  ]);
  const nodes = stubs.map((s, i) => ({
    id: `n${i}`,
    url: s.url,
    kind: 'openai',
    models: [{ id: `m${i}`, servedName: 'stub' }],
  }));
  const gateway = await startProcess('soak-gateway.mjs', [JSON.stringify(nodes)]);
  const counts = new Map<string, number>();
  const started = Date.now();
  const end = started + MINUTES * 60_000;
  const inFlight = new Set<Promise<unknown>>();
  let maxInFlight = 0;
  const perMinute: Array<{ minute: number; requests: number; errors5xx: number; dropped: number }> = [];
  let minute = { minute: 0, requests: 0, errors5xx: 0, dropped: 0 };
  const load0 = os.loadavg();
  // /health polled every 100 ms beside the load: a request that blocks the event loop shows here
  // as a slow health answer (target: under 100 ms throughout).
  const health: Array<{ t: number; ms: number }> = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t = performance.now();
      const ok = await fetch(`${gateway.url}/health`, { signal: AbortSignal.timeout(10_000) })
        .then((r) => r.arrayBuffer().then(() => r.ok))
        .catch(() => false);
      health.push({ t: Date.now(), ms: ok ? performance.now() - t : Number.POSITIVE_INFINITY });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  while (Date.now() < end) {
    const tick = Date.now();
    for (let k = 0; k < RATE / 10; k++) {
      const p = one(gateway.url).then(({ kind, status }) => {
        const key = `${kind} ${status}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        minute.requests++;
        if (status >= 500 || status === 0) minute.errors5xx++;
      });
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
    }
    maxInFlight = Math.max(maxInFlight, inFlight.size);
    const m = Math.floor((Date.now() - started) / 60_000);
    if (m !== minute.minute) {
      perMinute.push(minute);
      minute = { minute: m, requests: 0, errors5xx: 0, dropped: 0 };
      process.stdout.write(`minute ${m}/${MINUTES}\n`);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
  }
  await Promise.all(inFlight);
  polling = false;
  await poller;
  perMinute.push(minute);
  await new Promise((r) => setTimeout(r, 1500));
  for (const p of [gateway, ...stubs]) p.child.kill('SIGTERM');
  const load1 = os.loadavg();

  const samples = gateway.lines
    .filter((l) => l.startsWith('{"t"'))
    .map((l) => JSON.parse(l) as GatewaySample);
  const third = Math.floor(samples.length / 3);
  const mean = (xs: GatewaySample[], f: (s: GatewaySample) => number) =>
    xs.reduce((a, s) => a + f(s), 0) / Math.max(1, xs.length);
  const middle = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const growth =
    mean(last, (s) => s.rss) /
      Math.max(
        1,
        mean(middle, (s) => s.rss),
      ) -
    1;
  const eldP99 = Math.max(...samples.map((s) => s.eldP99));
  const verdict = growth < 0.1 ? 'levels off' : 'still growing';
  const byMinute = (m: number) => samples.filter((s) => Math.floor((s.t - started) / 60_000) === m);
  const healthMs = health.map((h) => h.ms).sort((a, b) => a - b);
  const healthAt = (q: number) =>
    healthMs[Math.min(healthMs.length - 1, Math.floor(q * healthMs.length))] ?? 0;
  const healthSlow = healthMs.filter((ms) => ms >= 100).length;
  const healthMax = (m: number) =>
    Math.max(0, ...health.filter((h) => Math.floor((h.t - started) / 60_000) === m).map((h) => h.ms));
  const rows = perMinute.map((p) => {
    const s = byMinute(p.minute);
    const fmt = (v: number) => v.toFixed(0);
    return `| ${p.minute} | ${p.requests} | ${p.errors5xx} | ${fmt(mean(s, (x) => x.rss) / 1e6)} | ${fmt(mean(s, (x) => x.heap) / 1e6)} | ${fmt(mean(s, (x) => x.external ?? 0) / 1e6)} | ${mean(s, (x) => x.eldP50).toFixed(1)} | ${Math.max(0, ...s.map((x) => x.eldP99)).toFixed(1)} | ${healthMax(p.minute).toFixed(1)} |`;
  });
  const md = [
    '# Soak: steady mixed traffic with hostile requests',
    '',
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}; Node ${process.version}.`,
    `Date: ${new Date().toISOString()}. Load average before/after: ${load0.map((l) => l.toFixed(2)).join(' ')} / ${load1.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    `${MINUTES} minutes at ${RATE} requests/s started (open loop), max ${maxInFlight} in flight: 50% chat, 20% streams, 10% feedback by`,
    'selection, 5% route listings, 15% hostile (a body nested 5,000 deep, a lone surrogate, 256 KB of',
    "`what does 'x` repeated, broken JSON, an unknown model, a bad message). 3,000 roles, 40 teams and",
    '5,000 sessions cycle, so every bounded cache fills. Two constant-latency stub nodes (20 ms, 60 ms).',
    '',
    `**RSS ${verdict}**: the last third of the run averages ${(growth * 100).toFixed(1)}% over the middle third`,
    `(${(mean(middle, (s) => s.rss) / 1e6).toFixed(0)} → ${(mean(last, (s) => s.rss) / 1e6).toFixed(0)} MB). Worst event-loop delay p99 in any second: ${eldP99.toFixed(1)} ms.`,
    `\`/health\` polled every 100 ms: ${healthMs.length} answers, p50 ${healthAt(0.5).toFixed(1)} ms, p99 ${healthAt(0.99).toFixed(1)} ms, max ${(healthMs.at(-1) ?? 0).toFixed(1)} ms; ${healthSlow} at or over 100 ms (unanswered count as over).`,
    '',
    '![RSS and event-loop delay over time](soak.svg)',
    '',
    '| minute | requests | 5xx or no answer | RSS MB | heap MB | external MB | loop delay p50 ms | worst p99 ms | /health max ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    'Answers by kind and status:',
    '',
    '| kind | status | count |',
    '| --- | ---: | ---: |',
    ...[...counts.entries()].sort().map(([k, v]) => `| ${k.split(' ')[0]} | ${k.split(' ')[1]} | ${v} |`),
    '',
  ].join('\n');
  writeFileSync(`${OUT}.md.tmp`, md);
  writeFileSync(`${OUT}.svg.tmp`, svg(samples));
  renameSync(`${OUT}.md.tmp`, `${OUT}.md`);
  renameSync(`${OUT}.svg.tmp`, `${OUT}.svg`);
  process.stdout.write(`${md}\n`);
  process.exit(growth < 0.1 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
