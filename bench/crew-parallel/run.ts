/**
 * Parallel-team makespan on a real CrewAI workload: the same parallel crew (bench/crew-parallel/
 * crew.py: three agents of different roles as async tasks, then a join) against two real BROKE
 * gateways (`broke-cluster serve`, CrewAI bridge at /crewai/v1) in front of the same emulated Macs
 * (the four presets ×20, bench/cluster/emulated-node.ts): BROKE with `routing.teamSlack: true`
 * and the plain router (the default). Kickoffs run one at a time, the arms
 * interleaved (A B, B A, …) so drift in the machine's load falls on both; warm-up kickoffs first,
 * not counted.
 *
 *   npm run -s build   # the gateways run packages/core/dist/cli/main.js
 *   npx tsx bench/crew-parallel/run.ts [--kickoffs N] [--warmup W] [--speedup X] [--seed S]
 *       [--out bench/results/crew-parallel] [--verbose]
 *
 * Writes <out>.md through a temporary file renamed at the end: a run that fails exits non-zero
 * with a one-line message and leaves the previous result as it was. Loopback only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  clusterConfig,
  DEFAULT_SPEEDUP,
  type HardwareProfile,
  macCluster,
} from '../../packages/core/src/simulation/index.js';
import { ensureVenv } from '../../testbed/paths.js';
import { Children } from '../cluster/children.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BROKE_CLI = join(ROOT, 'packages/core/dist/cli/main.js');
const CREW = join(import.meta.dirname, 'crew.py');
const TEAM = 'crew-parallel';
const KICKOFF_TIMEOUT_MS = 180_000;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      kickoffs: { type: 'string', default: '12' },
      warmup: { type: 'string', default: '2' },
      speedup: { type: 'string', default: String(DEFAULT_SPEEDUP) },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'bench/results/crew-parallel' },
      verbose: { type: 'boolean', default: false },
    },
  }).values;
}
try {
  parsed = parse();
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const args = parsed;
const whole = (name: string, v: string, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number ≥ ${min}, got "${v}"`);
  return n;
};
const kickoffs = whole('kickoffs', args.kickoffs, 1);
const warmup = whole('warmup', args.warmup, 0);
const seed = whole('seed', args.seed, 0);
const speedup = Number(args.speedup);
if (!(speedup > 0)) fail(`--speedup must be a number > 0, got "${args.speedup}"`);
const outBase = resolve(ROOT, args.out);
if (!existsSync(BROKE_CLI)) fail(`${relative(ROOT, BROKE_CLI)} is missing: run \`npm run -s build\` first`);

const log = (line: string) => process.stderr.write(`[crew-parallel] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------ children

const children = new Children({ cwd: ROOT, verbose: Boolean(args.verbose) });

// ------------------------------------------------------------------------------------ the crew

interface CrewTask {
  role: string;
  match: string;
  tokens: number;
  async: boolean;
}
interface KickoffLine {
  ok: boolean;
  session: string;
  wall_s: number;
  tasks: Array<{ role: string; done_s: number }>;
  error?: string;
}

async function python(): Promise<string> {
  const venv = await ensureVenv();
  const py = join(venv, 'bin/python');
  if (!existsSync(py)) fail(`no Python in the project venv (${venv}): run scripts/setup-python.sh`);
  return py;
}

/** Offline, loopback only: no proxy, no telemetry (offline_env.py sets the rest). */
const crewEnv = (baseUrl: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  OPENAI_API_KEY: 'sk-dummy-offline',
  NO_PROXY: '127.0.0.1,localhost',
  PYTHONUNBUFFERED: '1',
  BROKE_BASE_URL: baseUrl,
  BROKE_TEAM: TEAM,
});

/** A long-lived crew process: one kickoff per command line, one JSON line back. */
function startCrew(py: string, baseUrl: string, arm: string) {
  const tail: string[] = [];
  const child = children.start(py, [CREW, '--stdin'], tail, crewEnv(baseUrl));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const pending: Array<(line: string) => void> = [];
  lines.on('line', (line) => {
    if (line.trim().startsWith('{')) pending.shift()?.(line);
    else if (args.verbose) process.stderr.write(`  | ${line}\n`);
  });
  return {
    kickoff(session: string, topic: string): Promise<KickoffLine> {
      return new Promise((resolveKickoff, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${arm}: kickoff ${session} took over ${KICKOFF_TIMEOUT_MS / 1000} s`)),
          KICKOFF_TIMEOUT_MS,
        );
        const onExit = (code: number | null) =>
          reject(new Error(`${arm}: the crew exited with code ${code}: ${tail.slice(-5).join(' | ')}`));
        child.once('exit', onExit);
        pending.push((line) => {
          clearTimeout(timer);
          child.off('exit', onExit);
          const k = JSON.parse(line) as KickoffLine;
          if (!k.ok) reject(new Error(`${arm}: kickoff ${session} failed: ${k.error}`));
          else resolveKickoff(k);
        });
        child.stdin?.write(`${JSON.stringify({ session, topic })}\n`);
      });
    },
    stop() {
      child.stdin?.end();
    },
  };
}

// ------------------------------------------------------------------------------------ cluster

async function startNodes(profiles: HardwareProfile[], tasks: CrewTask[], dir: string) {
  const spec = join(dir, 'nodes.json');
  writeFileSync(
    spec,
    JSON.stringify({ profiles, lengths: tasks.map((t) => ({ match: t.match, tokens: t.tokens })) }),
  );
  const tail: string[] = [];
  const child = children.start(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '../cluster/node-host.ts'), spec],
    tail,
  );
  const m = await children.waitForLine(child, /^(\{"nodes".*\})$/m, 'emulated nodes', tail);
  return (JSON.parse(m[1] as string) as { nodes: Array<{ id: string; url: string; model: string }> }).nodes;
}

async function startGateway(
  name: string,
  profiles: HardwareProfile[],
  urls: Record<string, string>,
  teamSlack: boolean,
  dir: string,
) {
  const commissioned = clusterConfig(profiles, { urls, seed, teamSlack });
  const config = {
    ...commissioned,
    cluster: { name: `crew-${name}` },
    gateway: { ...commissioned.gateway, host: '127.0.0.1', port: 0 },
  };
  const path = join(dir, `broke-${name}.yaml`);
  writeFileSync(path, `# generated by bench/crew-parallel/run.ts\n${stringify(config)}`);
  const tail: string[] = [];
  const child = children.start(process.execPath, [BROKE_CLI, '-c', path, 'serve'], tail);
  const m = await children.waitForLine(
    child,
    /BROKE gateway on (http:\/\/127\.0\.0\.1:\d+)/,
    `the ${name} gateway`,
    tail,
  );
  const base = m[1] as string;
  const health = (await (await fetch(`${base}/health`)).json()) as {
    nodes?: Array<{ id: string; up: boolean }>;
  };
  const down = (health.nodes ?? []).filter((n) => !n.up).map((n) => n.id);
  if (down.length) throw new Error(`the ${name} gateway sees nodes down at start: ${down.join(', ')}`);
  return base;
}

interface ListedRoute {
  id: string;
  role: string;
  session: string;
  model: string;
  node: string;
  status: string;
  latency_ms: number;
}

async function routesOf(base: string, session: string): Promise<ListedRoute[]> {
  const res = await fetch(`${base}/v1/routes?session=${encodeURIComponent(session)}&limit=50`);
  if (!res.ok) throw new Error(`GET /v1/routes answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: ListedRoute[] }).data;
}

interface Explanation {
  summary?: string;
  chosen?: { nodeId: string; modelId: string };
  ranked?: Array<{
    nodeId: string;
    modelId: string;
    terms?: Record<string, { value?: number; note?: string }>;
  }>;
}

// ------------------------------------------------------------------------------------ stats

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
const f2 = (x: number) => x.toFixed(2);
const pct = (x: number) => `${Math.round(x * 100)}%`;

// ------------------------------------------------------------------------------------ main

interface Arm {
  name: string;
  label: string;
  teamSlack: boolean;
  base: string;
  crew: ReturnType<typeof startCrew>;
  kickoffs: KickoffLine[];
  routes: ListedRoute[];
}

async function main() {
  const started = new Date();
  const t0 = performance.now();
  const py = await python();
  const described = JSON.parse(execFileSync(py, [CREW, '--describe'], { encoding: 'utf8' })) as {
    tasks: CrewTask[];
  };
  const tasks = described.tasks;
  const crewaiVersion = execFileSync(
    py,
    ['-c', 'import importlib.metadata as m; print(m.version("crewai"))'],
    { encoding: 'utf8' },
  ).trim();
  const dir = mkdtempSync(join(os.tmpdir(), 'broke-crew-parallel-'));
  try {
    const profiles = macCluster({ speedup });
    const nodes = await startNodes(profiles, tasks, dir);
    const urls = Object.fromEntries(nodes.map((n) => [n.id, n.url]));
    log(`emulated nodes: ${nodes.map((n) => `${n.id} (${n.model})`).join(', ')}`);
    const arms: Arm[] = [];
    for (const [name, label, teamSlack] of [
      ['team-slack', 'BROKE with `routing.teamSlack: true`', true],
      ['plain', 'plain router (the default, team-slack off)', false],
    ] as const) {
      const base = await startGateway(name, profiles, urls, teamSlack, dir);
      arms.push({
        name,
        label,
        teamSlack,
        base,
        crew: startCrew(py, `${base}/crewai/v1`, name),
        kickoffs: [],
        routes: [],
      });
      log(`${name} gateway on ${base}`);
    }
    const large = profiles.reduce((a, b) => (b.model.parameters > a.model.parameters ? b : a)).model.id;

    let n = 0;
    const round = async (i: number, counted: boolean) => {
      const order = i % 2 === 0 ? arms : [...arms].reverse();
      for (const arm of order) {
        const session = `crew-${arm.name}-${counted ? 'r' : 'w'}${i}-${++n}`;
        const k = await arm.crew.kickoff(session, `topic ${i}`);
        if (counted) arm.kickoffs.push(k);
        log(`${counted ? 'round' : 'warm-up'} ${i + 1} ${arm.name}: ${f2(k.wall_s)} s`);
      }
    };
    for (let i = 0; i < warmup; i++) await round(i, false);
    for (let i = 0; i < kickoffs; i++) await round(i, true);
    const measuredS = (performance.now() - t0) / 1000;

    // Who served what, per measured kickoff, from the gateway's own route listing.
    for (const arm of arms)
      for (const k of arm.kickoffs) {
        const rs = await routesOf(arm.base, k.session);
        if (rs.length < tasks.length)
          throw new Error(
            `${arm.name}: session ${k.session} lists ${rs.length} routes, expected ${tasks.length}`,
          );
        arm.routes.push(...rs);
      }

    // A sample route of a parallel role where the run's wait was seen (team-slack note).
    let sample: { id: string; role: string; explanation: Explanation; notes: string[] } | undefined;
    let seen = 0;
    const slackArm = arms[0] as Arm;
    for (const r of slackArm.routes) {
      const e = (await (await fetch(`${slackArm.base}/v1/routes/${r.id}`)).json()) as Explanation;
      const notes = (e.ranked ?? [])
        .map((c) => ({ c, note: c.terms?.['team-slack']?.note }))
        .filter((x) => x.note)
        .map((x) => `${x.c.modelId}@${x.c.nodeId}: ${x.note}`);
      if (notes.length) {
        seen += 1;
        sample ??= { id: r.id, role: r.role, explanation: e, notes };
      }
    }
    const plainArm = arms[1] as Arm;
    const plainSample = plainArm.routes.find((r) => r.role === sample?.role) ?? plainArm.routes[0];
    const plainExplanation = plainSample
      ? ((await (await fetch(`${plainArm.base}/v1/routes/${plainSample.id}`)).json()) as Explanation)
      : undefined;
    const plainHasTerm = (plainExplanation?.ranked ?? []).some((c) => c.terms?.['team-slack'] !== undefined);

    for (const arm of arms) arm.crew.stop();
    writeReport({
      started,
      measuredS,
      arms,
      tasks,
      large,
      crewaiVersion,
      sample,
      seen,
      plainSample,
      plainExplanation,
      plainHasTerm,
    });
  } finally {
    children.killAll();
    await sleep(200);
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeReport(r: {
  started: Date;
  measuredS: number;
  arms: Arm[];
  tasks: CrewTask[];
  large: string;
  crewaiVersion: string;
  sample: { id: string; role: string; explanation: Explanation; notes: string[] } | undefined;
  seen: number;
  plainSample: ListedRoute | undefined;
  plainExplanation: Explanation | undefined;
  plainHasTerm: boolean;
}) {
  const [a, b] = r.arms as [Arm, Arm];
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const version = (
    JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8')) as { version: string }
  ).version;
  const cmd = `npx tsx bench/crew-parallel/run.ts --kickoffs ${kickoffs} --warmup ${warmup}${speedup !== DEFAULT_SPEEDUP ? ` --speedup ${speedup}` : ''}`;
  const walls = (arm: Arm) => arm.kickoffs.map((k) => k.wall_s);
  const paired = a.kickoffs.map((k, i) => k.wall_s - (b.kickoffs[i]?.wall_s ?? Number.NaN));
  const wins = paired.filter((d) => d < 0).length;
  const L: string[] = [];
  L.push('# Parallel agents on a real CrewAI crew: kickoff makespan with and without team-slack', '');
  L.push(`- date: ${r.started.toISOString()} (${Math.round(r.measuredS)} s)`);
  L.push(`- machine: ${cpu} × ${os.cpus().length}, load ${load} (1/5/15 min, at the end of the run)`);
  L.push(`- versions: BROKE ${version} (${commit}), CrewAI ${r.crewaiVersion}, Node ${process.version}`);
  L.push(`- command: \`npm run -s build && ${cmd}\``);
  L.push(
    `- what: the crew in \`bench/crew-parallel/crew.py\` (CrewAI's native OpenAI client, by base URL to the CrewAI bridge at /crewai/v1, one \`X-Broke-Session\` per kickoff, no tools, \`max_iter\` 1): ${r.tasks
      .filter((t) => t.async)
      .map((t) => `${t.role} (${t.tokens} tokens)`)
      .join(
        ', ',
      )} as async tasks at once, then the ${r.tasks.find((t) => !t.async)?.role ?? 'join'} (${r.tasks.find((t) => !t.async)?.tokens ?? '?'} tokens) joins their outputs. Answer lengths are set by the emulated nodes from each task's description (never from \`max_tokens\`, 512 here, which only caps).`,
  );
  L.push(
    `- cluster: the four emulated Macs of the cluster bench (\`bench/cluster/emulated-node.ts\`, public llama.cpp/MLX rates ×${speedup}, slots and batch slow-down): ${macCluster(
      { speedup },
    )
      .map((p) => `${p.id} ${p.model.id} (${p.slots} slots)`)
      .join(
        ', ',
      )}. Both gateways get the same \`clusterConfig\` broke.yaml (default profile balanced, seed ${seed}, no feedback); they share the nodes, never at the same time.`,
  );
  L.push(
    `- arms: **${a.label}** against the **${b.label}**. ${warmup} warm-up kickoff(s) per arm first (not counted, the router learns the nodes' speeds and the roles' answer lengths), then ${kickoffs} rounds, one kickoff at a time, the arms alternating which goes first.`,
  );
  L.push('', '## Kickoff makespan', '');
  L.push('| arm | kickoffs | p50 s | mean s | sd s | min s | max s |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const arm of r.arms) {
    const w = walls(arm);
    L.push(
      `| ${arm.name} | ${w.length} | ${f2(quantile(w, 0.5))} | ${f2(mean(w))} | ${f2(sd(w))} | ${f2(Math.min(...w))} | ${f2(Math.max(...w))} |`,
    );
  }
  L.push('');
  L.push(
    `Paired by round (team-slack − plain): median ${f2(quantile(paired, 0.5))} s, mean ${f2(mean(paired))} s (sd ${f2(sd(paired))}); team-slack faster in ${wins} of ${paired.length} rounds. Ratio of means: ${f2(mean(walls(a)) / mean(walls(b)))}.`,
  );
  L.push('', '## Which model each role got', '');
  const models = [...new Set(r.arms.flatMap((arm) => arm.routes.map((x) => x.model)))].sort();
  L.push(`| arm | role | ${models.join(' | ')} | share on ${r.large} | mean task finish s |`);
  L.push(`| --- | --- | ${models.map(() => '---:').join(' | ')} | ---: | ---: |`);
  for (const arm of r.arms)
    for (const t of r.tasks) {
      const rs = arm.routes.filter((x) => x.role === t.role);
      const done = arm.kickoffs.flatMap((k) => k.tasks.filter((x) => x.role === t.role).map((x) => x.done_s));
      const counts = models.map((m) => rs.filter((x) => x.model === m).length);
      L.push(
        `| ${arm.name} | ${t.role} (${t.tokens} tok${t.async ? ', async' : ', join'}) | ${counts.join(' | ')} | ${rs.length ? pct(rs.filter((x) => x.model === r.large).length / rs.length) : '–'} | ${done.length ? f2(mean(done)) : '–'} |`,
      );
    }
  L.push('');
  for (const arm of r.arms) {
    const onLarge = arm.routes.filter((x) => x.model === r.large).length;
    L.push(
      `- ${arm.name}: ${onLarge} of ${arm.routes.length} requests (${pct(onLarge / Math.max(1, arm.routes.length))}) on ${r.large}; mean request latency ${Math.round(mean(arm.routes.map((x) => x.latency_ms)))} ms.`,
    );
  }
  for (const arm of r.arms) {
    const failed = arm.routes.filter((x) => x.status !== 'ok').length;
    if (failed) L.push('', `${arm.name}: ${failed} route(s) did not end ok.`);
  }
  L.push('', '## What the router saw', '');
  if (r.sample) {
    L.push(
      `With team-slack, ${r.seen} of ${a.routes.length} measured routes carry a team-slack note (the run's other requests in flight). A sample, \`GET /v1/routes/${r.sample.id}\` (${r.sample.role}):`,
      '',
    );
    const measured = a.routes.find((x) => x.id === r.sample?.id)?.latency_ms;
    L.push(
      `- chosen: ${r.sample.explanation.chosen?.modelId}@${r.sample.explanation.chosen?.nodeId}, measured latency ${measured ?? '?'} ms (the times in the summary and notes are the router's predictions)`,
    );
    L.push(`- summary: ${r.sample.explanation.summary ?? '(none)'}`);
    for (const note of r.sample.notes) L.push(`- team-slack, ${note}`);
  } else {
    L.push(
      `With team-slack, none of the ${a.routes.length} measured routes carries a team-slack note: the router never saw another request of the run in flight, so the two arms routed alike.`,
    );
  }
  if (r.plainSample)
    L.push(
      '',
      `The plain router's route \`${r.plainSample.id}\` (${r.plainSample.role}) ${r.plainHasTerm ? 'still lists a team-slack term (unexpected)' : 'has no team-slack term'}: ${r.plainExplanation?.summary ?? '(none)'}`,
    );
  L.push('', '## Noise', '');
  L.push(
    '- One machine runs the emulated nodes, both gateways, both crews (Python) and the driver; kickoffs run one at a time and the arms alternate per round, so slow drift hits both, but a single kickoff moves with what else the CPUs do (see sd and min/max above). CrewAI adds its own overhead per task (prompt building, threads), the same in both arms.',
  );
  L.push(
    '- No judge and no feedback: the share on the large model is what the router chose from its size prior; quality itself is not measured here (the simulator bench, [parallel-team.md](parallel-team.md), scores it).',
    "- The times in the summaries and team-slack notes are the router's predictions; set them beside the measured latencies above. Where they are far apart, the router's time model is off for this traffic (both arms share it), so the size of the run wait it reports is its belief, not the wait measured here; the makespans are measured by the crew itself (wall time of `kickoff()`).",
  );
  const out = `${outBase}.md`;
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, `${L.join('\n')}\n`);
  renameSync(tmp, out);
  log(`wrote ${relative(ROOT, out)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => fail(err instanceof Error ? err.message : String(err)),
);
