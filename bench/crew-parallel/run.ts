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
import { basename, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  clusterConfig,
  DEFAULT_SPEEDUP,
  type HardwareProfile,
  macCluster,
  oracleQuality,
} from '../../packages/core/src/simulation/index.js';
import { ensureVenv } from '../../testbed/paths.js';
import { Children } from '../cluster/children.js';
import { makespanAt } from '../cluster/frontier.js';
import { svg } from '../eval/plot.js';

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
      profiles: { type: 'string' },
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
  difficulty: number;
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
    kickoff(session: string, topic: string, model: string): Promise<KickoffLine> {
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
        child.stdin?.write(`${JSON.stringify({ session, topic, model })}\n`);
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
  const commissioned = clusterConfig(profiles, { urls, seed, teamSlack, profiles: EXTRA_PROFILES });
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

// ------------------------------------------------------------------------------------ profiles

/**
 * The frontier: the built-in profiles and two heavier latency weights (`routing.profiles`; on this
 * crew the built-ins already send nearly everything to the 70B), each arm at each, so the two arms can be compared at equal quality: one
 * latency weight buys a different trade in each (team-slack spends the run's wait on better models).
 */
const PROFILES = [
  { name: 'λ3', model: 'broke-lw-3', latencyWeight: 3 },
  { name: 'λ1', model: 'broke-lw-1', latencyWeight: 1 },
  { name: 'latency', model: 'broke-latency', latencyWeight: 0.3 },
  { name: 'balanced', model: 'broke-auto', latencyWeight: 0.04 },
  { name: 'quality', model: 'broke-quality', latencyWeight: 0.005 },
] as const;
type Profile = (typeof PROFILES)[number];
const EXTRA_PROFILES = { 'lw-3': { latencyWeight: 3 }, 'lw-1': { latencyWeight: 1 } };
const chosenProfiles: Profile[] = (() => {
  if (!args.profiles) return [...PROFILES];
  const names = args.profiles.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !PROFILES.some((p) => p.name === n));
  if (unknown.length)
    fail(`--profiles: unknown ${unknown.join(', ')} (known: ${PROFILES.map((p) => p.name).join(', ')})`);
  return PROFILES.filter((p) => names.includes(p.name));
})();

// ------------------------------------------------------------------------------------ main

interface Arm {
  name: string;
  label: string;
  teamSlack: boolean;
  base: string;
  crew: ReturnType<typeof startCrew>;
  /** Per profile name: the measured kickoffs, each with its routes and oracle quality. */
  runs: Map<string, Measured[]>;
}
interface Measured {
  kickoff: KickoffLine;
  routes: ListedRoute[];
  quality: number;
}
interface Point {
  profile: Profile;
  makespanSec: number;
  p50: number;
  sd: number;
  quality: number;
  onLarge: number;
  n: number;
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
        runs: new Map(chosenProfiles.map((p) => [p.name, []])),
      });
      log(`${name} gateway on ${base}`);
    }
    const large = profiles.reduce((a, b) => (b.model.parameters > a.model.parameters ? b : a)).model;
    const parameters = new Map(profiles.map((p) => [p.model.id, p.model.parameters]));
    const difficulty = new Map(tasks.map((t) => [t.role, t.difficulty]));
    /** The oracle's expected quality of the kickoff: the mean over its tasks of the serving model's. */
    const qualityOf = (routes: ListedRoute[]) =>
      mean(
        routes.map((r) => {
          const p = parameters.get(r.model);
          const d = difficulty.get(r.role);
          if (p === undefined || d === undefined)
            throw new Error(`route ${r.id}: unknown model ${r.model} or role ${r.role}`);
          return r.status === 'ok' ? oracleQuality({ parameters: p }, d) : 0;
        }),
      );

    let n = 0;
    // One round: every profile once per arm, the order of profiles rotating and of arms alternating.
    const round = async (i: number, counted: boolean) => {
      const rotated = chosenProfiles.map(
        (_, k) => chosenProfiles[(k + i) % chosenProfiles.length] as Profile,
      );
      for (const [k, profile] of rotated.entries()) {
        const order = (i + k) % 2 === 0 ? arms : [...arms].reverse();
        for (const arm of order) {
          const session = `crew-${arm.name}-${counted ? 'r' : 'w'}${i}-${++n}`;
          const kickoff = await arm.crew.kickoff(session, `topic ${i}`, profile.model);
          if (counted) {
            const routes = await routesOf(arm.base, session);
            if (routes.length < tasks.length)
              throw new Error(
                `${arm.name}: session ${session} lists ${routes.length} routes, expected ${tasks.length}`,
              );
            arm.runs.get(profile.name)?.push({ kickoff, routes, quality: qualityOf(routes) });
          }
          log(
            `${counted ? 'round' : 'warm-up'} ${i + 1} ${profile.name} ${arm.name}: ${f2(kickoff.wall_s)} s`,
          );
        }
      }
    };
    for (let i = 0; i < warmup; i++) await round(i, false);
    for (let i = 0; i < kickoffs; i++) await round(i, true);
    const measuredS = (performance.now() - t0) / 1000;

    const points = (arm: Arm): Point[] =>
      chosenProfiles.map((profile) => {
        const runs = arm.runs.get(profile.name) ?? [];
        const walls = runs.map((r) => r.kickoff.wall_s);
        const routes = runs.flatMap((r) => r.routes);
        return {
          profile,
          makespanSec: mean(walls),
          p50: quantile(walls, 0.5),
          sd: sd(walls),
          quality: mean(runs.map((r) => r.quality)),
          onLarge: routes.filter((r) => r.model === large.id).length / Math.max(1, routes.length),
          n: runs.length,
        };
      });

    // A sample route of a parallel role where the run's wait was seen (team-slack note), balanced.
    const slackArm = arms[0] as Arm;
    const plainArm = arms[1] as Arm;
    const sampleProfile = chosenProfiles.find((p) => p.name === 'balanced') ?? (chosenProfiles[0] as Profile);
    let sample: { route: ListedRoute; explanation: Explanation; notes: string[] } | undefined;
    let seen = 0;
    const slackRoutes = (slackArm.runs.get(sampleProfile.name) ?? []).flatMap((r) => r.routes);
    for (const r of slackRoutes) {
      const e = (await (await fetch(`${slackArm.base}/v1/routes/${r.id}`)).json()) as Explanation;
      const notes = (e.ranked ?? [])
        .map((c) => ({ c, note: c.terms?.['team-slack']?.note }))
        .filter((x) => x.note)
        .map((x) => `${x.c.modelId}@${x.c.nodeId}: ${x.note}`);
      if (notes.length) {
        seen += 1;
        sample ??= { route: r, explanation: e, notes };
      }
    }

    for (const arm of arms) arm.crew.stop();
    writeReport({
      started,
      measuredS,
      arms,
      slack: points(slackArm),
      plain: points(plainArm),
      tasks,
      large: large.id,
      crewaiVersion,
      sampleProfile,
      sample,
      seen,
      sampled: slackRoutes.length,
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
  slack: Point[];
  plain: Point[];
  tasks: CrewTask[];
  large: string;
  crewaiVersion: string;
  sampleProfile: Profile;
  sample: { route: ListedRoute; explanation: Explanation; notes: string[] } | undefined;
  seen: number;
  sampled: number;
}) {
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
  const cmd = `npx tsx bench/crew-parallel/run.ts --kickoffs ${kickoffs} --warmup ${warmup}${speedup !== DEFAULT_SPEEDUP ? ` --speedup ${speedup}` : ''}${args.profiles ? ` --profiles ${args.profiles}` : ''}`;
  const join_ = r.tasks.find((t) => !t.async);
  const L: string[] = [];
  L.push(
    '# Parallel agents on a real CrewAI crew: kickoff makespan against quality, with and without team-slack',
    '',
  );
  L.push(`- date: ${r.started.toISOString()} (${Math.round(r.measuredS)} s)`);
  L.push(`- machine: ${cpu} × ${os.cpus().length}, load ${load} (1/5/15 min, at the end of the run)`);
  L.push(`- versions: BROKE ${version} (${commit}), CrewAI ${r.crewaiVersion}, Node ${process.version}`);
  L.push(`- command: \`npm run -s build && ${cmd}\``);
  L.push(
    `- what: the crew in \`bench/crew-parallel/crew.py\` (CrewAI's native OpenAI client, by base URL to the CrewAI bridge at /crewai/v1, one \`X-Broke-Session\` per kickoff, no tools, \`max_iter\` 1): ${r.tasks
      .filter((t) => t.async)
      .map((t) => `${t.role} (${t.tokens} tokens, difficulty ${t.difficulty})`)
      .join(
        ', ',
      )} as async tasks at once, then the ${join_?.role ?? 'join'} (${join_?.tokens ?? '?'} tokens, difficulty ${join_?.difficulty ?? '?'}) joins their outputs. Answer lengths are set by the emulated nodes from each task's description (never from \`max_tokens\`, 512 here, which only caps).`,
  );
  L.push(
    `- cluster: the four emulated Macs of the cluster bench (\`bench/cluster/emulated-node.ts\`, public llama.cpp/MLX rates ×${speedup}, slots and batch slow-down): ${macCluster(
      { speedup },
    )
      .map((p) => `${p.id} ${p.model.id} (${p.slots} slots)`)
      .join(
        ', ',
      )}. Both gateways get the same \`clusterConfig\` broke.yaml (seed ${seed}, no feedback, profiles ${chosenProfiles.map((p) => `${p.name} = latency weight ${p.latencyWeight}`).join(', ')}); they share the nodes, never at the same time.`,
  );
  L.push(
    `- quality: the cluster bench's hidden oracle (\`packages/core/src/simulation/oracle.ts\`, expected quality by model size × the task's difficulty, no noise) of the model that served each task, averaged over the kickoff's ${r.tasks.length} tasks. The router never sees the difficulty and gets no feedback: it routes from its size prior and the prompts' complexity.`,
  );
  L.push(
    `- arms: **${r.arms[0]?.label}** against the **${r.arms[1]?.label}**. ${warmup} warm-up kickoff(s) per arm first (every profile once per warm-up round, not counted: the router learns the nodes' speeds and the roles' answer lengths), then ${kickoffs} rounds; a round runs every profile once per arm, one kickoff at a time, the profiles' order rotating and the arms alternating which goes first.`,
  );
  L.push('', '## Kickoff makespan and quality per profile', '');
  L.push(
    `| profile | arm | kickoffs | mean makespan s | p50 s | sd s | mean quality | share on ${r.large} |`,
  );
  L.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (let i = 0; i < chosenProfiles.length; i++)
    for (const [arm, p] of [
      ['team-slack', r.slack[i]],
      ['plain', r.plain[i]],
    ] as const)
      if (p)
        L.push(
          `| ${p.profile.name} | ${arm} | ${p.n} | ${f2(p.makespanSec)} | ${f2(p.p50)} | ${f2(p.sd)} | ${p.quality.toFixed(3)} | ${pct(p.onLarge)} |`,
        );
  L.push('', '## At equal quality', '');
  L.push(
    "One latency weight buys a different trade in each arm, so each arm's point is set against the other arm's frontier (its points joined by straight lines): the makespan at which the other arm reaches the same quality.",
    '',
  );
  L.push('| point | makespan s | quality | other arm reaches that quality at s | team-slack saves |');
  L.push('| --- | ---: | ---: | ---: | ---: |');
  const saved: number[] = [];
  for (const p of r.plain) {
    const at = makespanAt(r.slack, p.quality);
    if (at !== undefined) saved.push(1 - at / p.makespanSec);
    L.push(
      `| plain ${p.profile.name} | ${f2(p.makespanSec)} | ${p.quality.toFixed(3)} | team-slack: ${at === undefined ? '– (never reaches it)' : f2(at)} | ${at === undefined ? '–' : pct(1 - at / p.makespanSec)} |`,
    );
  }
  for (const p of r.slack) {
    const at = makespanAt(r.plain, p.quality);
    if (at !== undefined) saved.push(1 - p.makespanSec / at);
    L.push(
      `| team-slack ${p.profile.name} | ${f2(p.makespanSec)} | ${p.quality.toFixed(3)} | plain: ${at === undefined ? '– (never reaches it)' : f2(at)} | ${at === undefined ? '–' : pct(1 - p.makespanSec / at)} |`,
    );
  }
  if (saved.length)
    L.push(
      '',
      `Team makespan saved by team-slack at equal quality, where both arms reach it: median ${pct(quantile(saved, 0.5))}, from ${pct(Math.min(...saved))} to ${pct(Math.max(...saved))} (negative: team-slack slower).`,
    );
  L.push('', `![kickoff makespan against quality](${basename(outBase)}.svg)`);

  L.push('', `## Which model each role got (${r.sampleProfile.name})`, '');
  const allRoutes = r.arms.flatMap((arm) =>
    (arm.runs.get(r.sampleProfile.name) ?? []).flatMap((x) => x.routes),
  );
  const models = [...new Set(allRoutes.map((x) => x.model))].sort();
  L.push(`| arm | role | ${models.join(' | ')} | mean task finish s |`);
  L.push(`| --- | --- | ${models.map(() => '---:').join(' | ')} | ---: |`);
  for (const arm of r.arms) {
    const runs = arm.runs.get(r.sampleProfile.name) ?? [];
    for (const t of r.tasks) {
      const rs = runs.flatMap((x) => x.routes).filter((x) => x.role === t.role);
      const done = runs.flatMap((x) => x.kickoff.tasks.filter((y) => y.role === t.role).map((y) => y.done_s));
      L.push(
        `| ${arm.name} | ${t.role} (${t.tokens} tok${t.async ? ', async' : ', join'}) | ${models.map((m) => rs.filter((x) => x.model === m).length).join(' | ')} | ${done.length ? f2(mean(done)) : '–'} |`,
      );
    }
  }
  for (const arm of r.arms) {
    const failed = [...arm.runs.values()]
      .flat()
      .flatMap((x) => x.routes)
      .filter((x) => x.status !== 'ok').length;
    if (failed) L.push('', `${arm.name}: ${failed} route(s) did not end ok (scored 0).`);
  }
  L.push('', '## What the router saw', '');
  if (r.sample) {
    const e = r.sample.explanation;
    L.push(
      `With team-slack (${r.sampleProfile.name}), ${r.seen} of ${r.sampled} measured routes carry a team-slack note (the run's other requests in flight). A sample, \`GET /v1/routes/${r.sample.route.id}\` (${r.sample.route.role}):`,
      '',
      `- chosen: ${e.chosen?.modelId}@${e.chosen?.nodeId}, measured latency ${r.sample.route.latency_ms} ms (the times in the summary and notes are the router's predictions)`,
      `- summary: ${e.summary ?? '(none)'}`,
      ...r.sample.notes.map((note) => `- team-slack, ${note}`),
    );
  } else {
    L.push(
      `With team-slack (${r.sampleProfile.name}), none of the ${r.sampled} measured routes carries a team-slack note: the router never saw another request of the run in flight, so the two arms routed alike.`,
    );
  }
  L.push('', '## Noise', '');
  L.push(
    '- One machine runs the emulated nodes, both gateways, both crews (Python) and the driver; kickoffs run one at a time and the arms alternate, so slow drift hits both, but a single kickoff moves with what else the CPUs do (see sd). CrewAI adds its own overhead per task (prompt building, threads), the same in both arms.',
    "- The times in the summaries and team-slack notes are the router's predictions; the makespans are measured by the crew itself (wall time of `kickoff()`).",
  );

  const maxX = Math.max(...[...r.slack, ...r.plain].map((p) => p.makespanSec)) * 1.1;
  const qs = [...r.slack, ...r.plain].map((p) => p.quality);
  const line = (pts: Point[]) =>
    [...pts]
      .sort((a, b) => a.makespanSec - b.makespanSec)
      .map((p) => [p.makespanSec, p.quality] as [number, number]);
  const picture = svg([
    {
      title: 'CrewAI kickoff makespan against quality (profile sweep)',
      xLabel: 'mean kickoff makespan (s)',
      yLabel: 'mean quality (oracle)',
      x: [0, Math.ceil(maxX * 2) / 2],
      y: [Math.floor(Math.min(...qs) * 20) / 20, Math.ceil(Math.max(...qs) * 20) / 20],
      series: [
        { label: 'BROKE (team-slack)', color: '#1f77b4', line: line(r.slack), dots: line(r.slack) },
        { label: 'plain router', color: '#d62728', line: line(r.plain), dots: line(r.plain), dashed: true },
      ],
    },
  ]);
  // Both files appear together or not at all.
  const out = `${outBase}.md`;
  const tmp = `${out}.tmp-${process.pid}`;
  const svgOut = `${outBase}.svg`;
  const svgTmp = `${svgOut}.tmp-${process.pid}`;
  writeFileSync(tmp, `${L.join('\n')}\n`);
  writeFileSync(svgTmp, picture);
  renameSync(tmp, out);
  renameSync(svgTmp, svgOut);
  log(`wrote ${relative(ROOT, out)} and ${relative(ROOT, svgOut)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => fail(err instanceof Error ? err.message : String(err)),
);
