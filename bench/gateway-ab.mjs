// Which of two (or more) gateway builds costs less CPU per request, on a machine whose speed drifts
// by tens of percent between runs: every build and the bare proxy serve at once, under one load
// whose requests go to them in a shuffled order, so the machine's drift hits each alike. Reports
// each one's CPU per request per round and its ratio to the proxy's in the same round.
//
//   cp -r packages/core/dist node_modules/.ab-new      # a build per name, inside the repo so its
//   git stash; npm run build; cp -r packages/core/dist node_modules/.ab-old; git stash pop  # dependencies resolve
//   node bench/gateway-ab.mjs 6 6000 old=node_modules/.ab-old/index.js new=node_modules/.ab-new/index.js
//
// Arguments: rounds, requests per path per round, then name=path-to-a-build's-index.js (relative to
// the repository or absolute). The stub answers at once with 8 chunks; 64 streams per path.
// Prints a table on stdout; writes nothing. Loopback only.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [roundsArg, perPathArg, ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
const perPath = Number(perPathArg);
if (!(rounds >= 1) || !(perPath >= 100) || builds.length === 0 || builds.some((b) => !/^[\w-]+=.+/.test(b))) {
  console.error('usage: node bench/gateway-ab.mjs ROUNDS REQUESTS_PER_PATH name=build/index.js [name=…]');
  process.exit(2);
}
const here = import.meta.dirname;
const root = resolve(here, '..');

/** User + system CPU seconds of a process so far (clock ticks of 10 ms). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A helper process that prints its URL first. */
function start(args, env = {}) {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  return new Promise((ok, fail) => {
    let found = false;
    child.stdout.on('data', (d) => {
      const line = String(d)
        .split('\n')
        .find((l) => l.startsWith('http'));
      if (line && !found) {
        found = true;
        ok({ url: line.trim(), child });
      }
    });
    child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });
function once(base, model) {
  const body = JSON.stringify({
    model,
    stream: true,
    max_tokens: 8,
    messages: [{ role: 'user', content: 'Say hi.' }],
  });
  const url = new URL(`${base}/v1/chat/completions`);
  return new Promise((done) => {
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
        res.on('data', () => {});
        res.on('end', () => done(res.statusCode === 200));
      },
    );
    req.on('error', () => done(false));
    req.end(body);
  });
}

/** Deterministic shuffle source, so runs send the same order. */
let seed = 1;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};

const stub = await start([join(here, 'gateway-stub.mjs'), '0', '8']);
const proxy = await start([join(here, 'gateway-floor.mjs'), stub.url, 'stub']);
const nodes = [
  { id: 'stub', url: stub.url, kind: 'openai', models: [{ id: 'stub-model', servedName: 'stub' }] },
];
const paths = [{ name: 'bare proxy', ...proxy, model: 'stub' }];
try {
  for (const build of builds) {
    const [name, file] = build.split(/=(.*)/s);
    const dist = pathToFileURL(isAbsolute(file) ? file : join(root, file)).href;
    const gw = await start([join(here, 'gateway-server.mjs'), JSON.stringify(nodes)], { BROKE_DIST: dist });
    paths.push({ name, ...gw, model: 'broke-auto' });
  }
  // Warm: code optimised, connections open.
  for (const p of paths)
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = 0; i < 40; i++) await once(p.url, p.model);
      }),
    );
  const load0 = os.loadavg()[0];
  const us = paths.map(() => []);
  let failed = 0;
  for (let r = 0; r < rounds; r++) {
    // Each path's requests, shuffled together.
    const order = paths.flatMap((_, i) => Array(perPath).fill(i));
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const served = paths.map(() => 0);
    const cpu0 = paths.map((p) => cpuSeconds(p.child.pid));
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 * paths.length }, async () => {
        while (next < order.length) {
          const i = order[next++];
          if (await once(paths[i].url, paths[i].model)) served[i]++;
          else failed++;
        }
      }),
    );
    for (const [i, p] of paths.entries()) us[i].push(((cpuSeconds(p.child.pid) - cpu0[i]) / served[i]) * 1e6);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `${rounds} rounds × ${perPath} requests per path, shuffled together; load average ${load0.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}; failed requests ${failed}`,
  );
  console.log('| path | CPU µs/request, median | ÷ bare proxy, median | ÷ bare proxy per round |');
  console.log('| --- | ---: | ---: | --- |');
  paths.forEach((p, i) => {
    const ratios = us[i].map((u, r) => u / us[0][r]);
    console.log(
      `| ${p.name} | ${median(us[i]).toFixed(1)} | ${median(ratios).toFixed(2)} | ${ratios.map((x) => x.toFixed(2)).join(' ')} |`,
    );
  });
} finally {
  for (const p of paths) p.child.kill('SIGTERM');
  stub.child.kill('SIGTERM');
}
process.exit(0);
