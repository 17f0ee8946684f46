/**
 * Heterogeneous-cluster benchmark: the same agent-team workload (20 agents in 4 teams, closed
 * loop, one seed) against a cluster of emulated Macs (bench/cluster/emulated-node.ts: slots, FIFO
 * queue and the simulation's service-time rule in wall-clock time), routed by each policy in turn:
 * the real BROKE gateway (three profiles), a hand-written role map, everything to the biggest
 * model, uniform random, and the real LiteLLM and Portkey gateways. Each policy gets fresh nodes.
 *
 * Per policy: makespan, p50/p95 request latency, mean judged quality (hidden oracle + noise; a
 * failed request scores 0), the share of hard prompts the large model served, errors and 429s.
 *
 *   npm run -s build   # the BROKE policies run packages/core/dist/cli/main.js
 *   npx tsx bench/cluster/run.ts [--policies a,b] [--requests N] [--seed S] [--quick]
 *       [--speedup X] [--think-ms MS] [--warmup N] [--no-stream] [--out bench/results/cluster]
 *
 * Writes <out>.md and <out>.svg (quality vs makespan), each to a temporary file renamed at the end:
 * a run that fails exits non-zero and leaves the previous results as they were.
 *
 * --real-mlx: the same policies in front of three REAL `mlx_lm.server` processes on loopback
 * instead of emulated Macs, serving the test bed's random-weight models of three sizes (tiny,
 * mini, medium in testbed/models.json; real speed differences, gibberish text). Each node *plays*
 * a size class (3B, 14B, 70B): that is the `parameters` BROKE is told and what the judge scores.
 * A smaller workload (8 agents, 60 requests, 20 warm-up) and `max_tokens` = the request's hidden
 * answer length ÷ --token-scale (default 8, at least 4) for every policy: random weights never
 * stop on their own, so this keeps the work proportional and a run in minutes on 2 cores. The
 * served node comes from response headers (BROKE `x-broke-node`, LiteLLM `x-litellm-model-id`,
 * Portkey `x-portkey-last-used-option-index`) or, for direct policies, the node called. Default
 * output bench/results/cluster-mlx; no simulator comparison (no profile exists for these nodes).
 *
 *   npx tsx bench/cluster/run.ts --real-mlx [--quick] [--policies a,b] [--requests N]
 *       [--warmup N] [--token-scale K] [--max-concurrency C]
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  type Agent,
  bestSinglePolicy,
  clusterConfig,
  DEFAULT_SPEEDUP,
  generateWorkload,
  HAND_MAP,
  type HardwareProfile,
  handMapPolicy,
  judge,
  latencyPolicy,
  leastBusyPolicy,
  MAC_PRESETS,
  macCluster,
  outputTable,
  type PolicySummary,
  qualityBound,
  Rng,
  randomPolicy,
  type SimModel,
  type SimPolicy,
  simulate,
  summarise as summariseSimulation,
  type Workload,
  type WorkloadRequest,
} from '../../packages/core/src/simulation/index.js';
import { Children } from './children.js';
import { nodeOf } from './emulated-node.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BROKE_CLI = join(ROOT, 'packages/core/dist/cli/main.js');

const POLICIES = [
  'broke-latency',
  'broke-λ0.1',
  'broke-balanced',
  'broke-λ0.02',
  'broke-λ0.01',
  'broke-quality',
  'hand-map',
  'best-single',
  'random',
  'litellm-simple-shuffle',
  'litellm-least-busy',
  'litellm-latency',
  'portkey-loadbalance',
] as const;
type Policy = (typeof POLICIES)[number];

const { values: args } = parseArgs({
  options: {
    policies: { type: 'string' },
    requests: { type: 'string' },
    seed: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    speedup: { type: 'string' },
    'think-ms': { type: 'string', default: '200' },
    warmup: { type: 'string' },
    'no-stream': { type: 'boolean', default: false },
    out: { type: 'string' },
    /** Real mlx_lm.server nodes instead of emulated ones (see the top of this file). */
    'real-mlx': { type: 'boolean', default: false },
    /** --real-mlx: max_tokens = hidden answer length ÷ this (at least 4). */
    'token-scale': { type: 'string', default: '8' },
    /** --real-mlx: each node's maxConcurrency in broke.yaml. */
    'max-concurrency': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    /** Log BROKE's route summary for every hard request. */
    explain: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}
const num = (name: string, v: string | undefined, fallback: number) => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a number ≥ 0, got "${v}"`);
  return n;
};

const quick = Boolean(args.quick);
const realMlx = Boolean(args['real-mlx']);
const seed = num('seed', args.seed, 1);
const requests = num('requests', args.requests, realMlx ? (quick ? 24 : 60) : quick ? 60 : 300);
const speedup = num('speedup', args.speedup, DEFAULT_SPEEDUP);
const thinkMs = num('think-ms', args['think-ms'], 200);
const warmupCount = num('warmup', args.warmup, realMlx ? (quick ? 8 : 20) : 40);
const tokenScale = num('token-scale', args['token-scale'], 8);
const stream = !args['no-stream'];
const outBase = resolve(ROOT, args.out ?? (realMlx ? 'bench/results/cluster-mlx' : 'bench/results/cluster'));
if (realMlx && args.speedup !== undefined) fail('--speedup applies to emulated nodes only, not --real-mlx');
if (!(tokenScale > 0)) fail('--token-scale must be > 0');
const policies = (args.policies ? args.policies.split(',').map((p) => p.trim()) : [...POLICIES]) as Policy[];
for (const p of policies)
  if (!POLICIES.includes(p)) fail(`unknown policy "${p}" (known: ${POLICIES.join(', ')})`);

const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);

// Everything here is loopback-only. LiteLLM's token counter loads a Hugging Face tokenizer for
// model names containing "llama" and, with no network, stalls ≈ 23 s per request retrying the
// download; offline mode makes it fall back at once (children inherit this environment).
process.env.HF_HUB_OFFLINE ??= '1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------ children

const children = new Children({ cwd: ROOT, verbose: Boolean(args.verbose) });

interface LiveNode {
  id: string;
  url: string;
  /** What a request straight to the node puts in `model`. */
  model: string;
  /** The model as BROKE is told and the judge scores it: its size class. */
  size: SimModel;
  /** Emulated nodes: the machine they emulate. */
  profile?: HardwareProfile;
  /** Real nodes: size of the weights file, GiB (what loading the model costs). */
  weightsGb?: number;
}

/** Fresh emulated nodes in a process of their own. */
async function startNodes(profiles: HardwareProfile[], outputs: Record<string, number>, dir: string) {
  const spec = join(dir, 'nodes.json');
  writeFileSync(spec, JSON.stringify({ profiles, outputs }));
  const tail: string[] = [];
  const child = children.start(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'node-host.ts'), spec],
    tail,
  );
  const m = await children.waitForLine(child, /^(\{"nodes".*\})$/m, 'emulated nodes', tail);
  const listed = (JSON.parse(m[1] as string) as { nodes: Array<{ id: string; url: string; model: string }> })
    .nodes;
  const nodes: LiveNode[] = listed.map((n) => {
    const profile = profiles.find((p) => p.id === n.id) as HardwareProfile;
    return { ...n, size: profile.model, profile };
  });
  return { nodes, stop: () => children.stop(child) };
}

// ------------------------------------------------------------------------------------ real MLX nodes

/**
 * --real-mlx: three real `mlx_lm.server` processes, each serving one of the test bed's
 * random-weight models (testbed/models.json; generated locally, nothing downloaded). The models
 * really differ in size and so in speed; what they *play* — the `parameters` and tier BROKE is
 * told and the judge scores by — is the size class of a real deployment of that shape.
 *
 * Measured alone on the 2-core reference machine (mlx 0.32.4 CPU backend): prefill of a
 * 350 / 1300-token prompt and decode of a 64-token reply —
 *   tiny   (64 × 2 layers)   ≈ 13 600 / 7 400 tokens/s prefill, ≈ 1 300 tokens/s decode
 *   mini   (128 × 4 layers)  ≈  2 650 / 1 430,                   ≈   700
 *   medium (256 × 4 layers)  ≈    780 /   520,                   ≈   380
 *   small  (512 × 8 layers)  ≈     94 /    73,                   ≈    73
 * `small` is not used: its prefill is as slow as its decode on this CPU (mlx's CPU matmul runs at
 * ≈ 8 GFLOP/s here), so the workload's long prompts (up to ≈ 2 600 tokens with the test
 * tokenizer) take 30 s+ each and best-single alone would take ~6 minutes. tiny / mini / medium
 * keep the order and a 70B : 3B slow-down of ≈ 3.4× in decode and 10–17× in prefill (the Mac
 * presets: ≈ 5× and 6.5×).
 */
const MLX_NODES: ReadonlyArray<{ id: string; generated: string; plays: SimModel }> = [
  {
    id: 'mlx-tiny',
    generated: 'tiny',
    plays: { id: 'tiny-as-3b', parameters: 3, tier: 'small', contextLength: 4096 },
  },
  {
    id: 'mlx-mini',
    generated: 'mini',
    plays: { id: 'mini-as-14b', parameters: 14, tier: 'medium', contextLength: 4096 },
  },
  {
    id: 'mlx-medium',
    generated: 'medium',
    plays: { id: 'medium-as-70b', parameters: 70, tier: 'large', contextLength: 4096 },
  },
];

/**
 * mlx_lm.server 0.32 batches: requests to a llama model (its KV cache can merge) are decoded
 * together, up to --decode-concurrency (32) at once and --prompt-concurrency (8) prefilled at once;
 * more wait in its own queue, nothing is refused. So a node does serve several requests at once,
 * each slower: 64-token replies, one node alone on 2 cores, 1 → 2 → 4 at once: mini 91 → 129 →
 * 185 ms each, medium 168 → 263 → 472 ms each (tiny 50 ms: two at once mostly ran one after the
 * other). Hence 2 slots per node and a slow-down of 0.5 per request beside another.
 */
const MLX_MAX_CONCURRENCY = 2;
const MLX_TEAMS = 2;
const MLX_AGENTS_PER_TEAM = 4;
const MLX_BATCH_SLOWDOWN = 0.5;
const mlxMaxConcurrency = num('max-concurrency', args['max-concurrency'], MLX_MAX_CONCURRENCY);
if (!Number.isInteger(mlxMaxConcurrency) || mlxMaxConcurrency < 1)
  fail('--max-concurrency must be a whole number ≥ 1');

/** What each node serves, found once (venv and generated models from the test bed's caches). */
interface MlxSetup {
  server: string;
  env: NodeJS.ProcessEnv;
  models: Array<{
    spec: (typeof MLX_NODES)[number];
    path: string;
    config: Record<string, number>;
    bytes: number;
  }>;
}

async function prepareMlx(): Promise<MlxSetup> {
  const paths = await import('../../testbed/paths.js');
  const { offlineEnv } = await import('../../testbed/mlx-node.js');
  const venv = await paths.ensureVenv();
  const models = await Promise.all(
    MLX_NODES.map(async (spec) => {
      const path = await paths.ensureModel(spec.generated);
      const config = JSON.parse(readFileSync(join(path, 'config.json'), 'utf8')) as Record<string, number>;
      return { spec, path, config, bytes: statSync(join(path, 'model.safetensors')).size };
    }),
  );
  return { server: join(venv, 'bin/mlx_lm.server'), env: offlineEnv(), models };
}

/** One node's speed alone, measured on every fresh node before a policy runs (it also warms it). */
interface Calibration {
  ttftMs: number;
  decodeTps: number;
  promptTokens: number;
}

const CALIBRATION_PROMPT =
  'Summarise the following note for the team in two sentences. The deployment moved the queue ' +
  'workers to the new cluster on Tuesday; latency fell by a third, but two nightly jobs failed ' +
  'because their credentials were still scoped to the old project. Both were re-run by hand and ' +
  'the credentials have been rotated. Nothing else changed, and the old cluster stays up until ' +
  'the end of the month in case we need to roll back.';
const CALIBRATION_TOKENS = 32;

async function calibrate(
  url: string,
  prompt = CALIBRATION_PROMPT,
  maxTokens = CALIBRATION_TOKENS,
): Promise<Calibration> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'default_model',
      messages: [{ role: 'user', content: prompt }],
      max_tokens: maxTokens,
      stream: true,
      stream_options: { include_usage: true },
    }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status !== 200) throw new Error(`calibration on ${url}: HTTP ${res.status}: ${await res.text()}`);
  let first: number | undefined;
  let tokens = 0;
  let usage: number | undefined;
  let promptTokens = Number.NaN;
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line.startsWith('data:') || line.includes('[DONE]')) continue;
      const j = JSON.parse(line.slice(5)) as {
        choices?: Array<{ delta?: { content?: string } }>;
        usage?: { completion_tokens?: number; prompt_tokens?: number };
      };
      if (j.usage?.completion_tokens) usage = j.usage.completion_tokens;
      if (j.usage?.prompt_tokens) promptTokens = j.usage.prompt_tokens;
      if (j.choices?.[0]?.delta?.content) {
        first ??= performance.now();
        tokens += 1;
      }
    }
  }
  const end = performance.now();
  const n = usage ?? tokens;
  const ttft = (first ?? end) - t0;
  return {
    ttftMs: ttft,
    promptTokens,
    decodeTps: n > 1 ? (n - 1) / ((end - (first ?? end)) / 1000 || 1e-9) : Number.NaN,
  };
}

/** Fresh mlx_lm.server nodes, up and calibrated one after another (alone, so the numbers are clean). */
async function startMlxNodes(setup: MlxSetup) {
  const { freePort, waitFor } = await import('../../testbed/ports.js');
  const started: Array<{ node: LiveNode; child: ChildProcess; tail: string[] }> = [];
  const stop = () => Promise.all(started.map((s) => children.stop(s.child))).then(() => undefined);
  try {
    await Promise.all(
      setup.models.map(async ({ spec, path }) => {
        const port = await freePort('127.0.0.1');
        const tail: string[] = [];
        const child = children.start(
          setup.server,
          ['--model', path, '--host', '127.0.0.1', '--port', String(port)],
          tail,
          setup.env,
        );
        const url = `http://127.0.0.1:${port}`;
        const weightsGb = setup.models.find((m) => m.spec === spec)?.bytes ?? 0;
        started.push({
          node: {
            id: spec.id,
            url,
            model: 'default_model',
            size: spec.plays,
            weightsGb: weightsGb / 2 ** 30,
          },
          child,
          tail,
        });
        const exited = new Promise<never>((_, reject) =>
          child.once('exit', (code) =>
            reject(new Error(`mlx_lm.server ${spec.id} exited with code ${code}`)),
          ),
        );
        exited.catch(() => {}); // its exit later (stop) is no error
        await Promise.race([
          exited,
          waitFor(async () => (await fetch(`${url}/health`)).ok, `mlx_lm.server ${spec.id}`, 120_000, 150),
        ]).catch((err: unknown) => {
          throw new Error(`${(err as Error).message}\n${tail.join('\n')}`);
        });
      }),
    );
    const calibration: Record<string, Calibration> = {};
    for (const s of started) {
      await calibrate(s.node.url, 'Hello.', 4); // the first request pays one-off set-up: not measured
      calibration[s.node.id] = await calibrate(s.node.url);
    }
    const order = MLX_NODES.map((m) => m.id);
    const nodes = started.map((s) => s.node).sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    return { nodes, calibration, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ------------------------------------------------------------------------------------ endpoints

/** Where one request goes and what happens after it (feedback). */
interface Target {
  url: string;
  model: string;
  headers: Record<string, string>;
  /** The node this request goes to, when the policy itself picks it (direct policies). */
  node?: string;
}

interface Endpoint {
  target(r: WorkloadRequest): Target;
  /** Which node served, from a gateway's response headers (--real-mlx: answers carry no marker). */
  servedBy?(headers: Headers): string | undefined;
  feedback?(routeId: string, score: number): Promise<void>;
  /** BROKE's one-line summary of a route. */
  explain?(routeId: string): Promise<string>;
  stop(): Promise<void>;
}

interface PeerGateway {
  baseUrl: string;
  model: string;
  headers: Record<string, string>;
  stop(): Promise<void>;
}
interface PeersModule {
  startLitellm(o: {
    nodes: Array<{ id: string; baseUrl: string; model: string }>;
    strategy: 'simple-shuffle' | 'least-busy' | 'latency-based-routing';
  }): Promise<PeerGateway>;
  startPortkey(o: { nodes: Array<{ id: string; baseUrl: string; model: string }> }): Promise<PeerGateway>;
}

/** The LiteLLM / Portkey launchers (bench/cluster/peers), loaded only when a peer policy runs. */
async function loadPeers(): Promise<PeersModule> {
  const path = './peers/index.js';
  const mod = (await import(path as string).catch((err: unknown) => {
    fail(
      `the peer gateways' launchers (bench/cluster/peers/index.ts) could not be loaded: ${(err as Error).message}`,
    );
  })) as Partial<PeersModule>;
  if (typeof mod.startLitellm !== 'function' || typeof mod.startPortkey !== 'function')
    fail('bench/cluster/peers/index.ts does not export startLitellm and startPortkey');
  return mod as PeersModule;
}

const agentHeaders = (r: WorkloadRequest) => ({
  'x-broke-role': r.role,
  'x-broke-team': r.team,
  'x-broke-session': r.session,
});

const BROKE_MODEL: Record<string, string> = {
  'broke-latency': 'broke-latency',
  'broke-balanced': 'broke-auto',
  'broke-quality': 'broke-quality',
  'broke-λ0.1': 'broke-lw-0.1',
  'broke-λ0.02': 'broke-lw-0.02',
  'broke-λ0.01': 'broke-lw-0.01',
};

/**
 * More points on BROKE's frontier between the built-ins (`latency` λ 0.3, `balanced` 0.04,
 * `quality` 0.005): the same router with the latency weight a user sets in `routing.profiles`.
 */
const FRONTIER_PROFILES = {
  'lw-0.1': { latencyWeight: 0.1 },
  'lw-0.02': { latencyWeight: 0.02 },
  'lw-0.01': { latencyWeight: 0.01 },
};

/**
 * The real gateway (`broke-cluster serve`) as a child process, with the broke.yaml a user would
 * write for these machines — the same `clusterConfig` the discrete-event simulator gives BROKE.
 */
async function startBroke(policy: Policy, nodes: LiveNode[], dir: string): Promise<Endpoint> {
  const commissioned = realMlx
    ? mlxConfig(nodes)
    : clusterConfig(
        nodes.map((n) => n.profile as HardwareProfile),
        { urls: Object.fromEntries(nodes.map((n) => [n.id, n.url])), seed, profiles: FRONTIER_PROFILES },
      );
  const config = {
    ...commissioned,
    cluster: { name: 'bench-cluster' },
    gateway: { ...commissioned.gateway, host: '127.0.0.1', port: 0 },
  };
  const path = join(dir, 'broke.yaml');
  writeFileSync(path, `# generated by bench/cluster/run.ts\n${stringify(config)}`);
  const tail: string[] = [];
  const child = children.start(process.execPath, [BROKE_CLI, '-c', path, 'serve'], tail);
  const m = await children.waitForLine(
    child,
    /BROKE gateway on (http:\/\/127\.0\.0\.1:\d+)/,
    'the BROKE gateway',
    tail,
  );
  const base = m[1] as string;
  // Serve polls (and probes) every node before it listens; check they all came up.
  const health = (await (await fetch(`${base}/health`)).json()) as {
    nodes?: Array<{ id: string; up: boolean }>;
  };
  const down = (health.nodes ?? []).filter((n) => !n.up).map((n) => n.id);
  if (down.length) log(`warning: BROKE sees nodes down at start: ${down.join(', ')}`);
  const model = BROKE_MODEL[policy] as string;
  return {
    target: (r) => ({ url: `${base}/v1/chat/completions`, model, headers: agentHeaders(r) }),
    servedBy: (h) => h.get('x-broke-node') ?? undefined,
    async explain(routeId) {
      const res = await fetch(`${base}/v1/routes/${routeId}`);
      const e = (await res.json()) as {
        summary?: string;
        objective?: { expectedOutputTokens?: number };
        ranked?: Array<{ modelId: string; terms: Record<string, { note?: string }> }>;
      };
      const runTimes = (e.ranked ?? [])
        .map((c) => `${c.modelId}: ${c.terms['run-time']?.note ?? '?'}`)
        .join('; ');
      return `${e.summary ?? `(${res.status})`} [reply ~${e.objective?.expectedOutputTokens} tokens; ${runTimes}]`;
    },
    async feedback(routeId, score) {
      const res = await fetch(`${base}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ route_id: routeId, score }),
      });
      if (!res.ok) throw new Error(`feedback answered ${res.status}: ${await res.text()}`);
    },
    stop: () => children.stop(child),
  };
}

/**
 * --real-mlx: the broke.yaml a user would write for these three servers: kind `mlx`, each model's
 * played size and tier, its real weights size (what a cold load would cost) and maxConcurrency.
 */
function mlxConfig(nodes: LiveNode[]): ReturnType<typeof clusterConfig> {
  const machineGb = +(os.totalmem() / 2 ** 30).toFixed(1);
  // clusterConfig's shape (one node per model, store in memory, seed), then what differs for mlx.
  const base = clusterConfig(
    nodes.map((n) => ({
      id: n.id,
      chip: 'mlx_lm.server',
      model: n.size,
      prefillTokensPerSec: 1, // unused: BROKE measures speeds itself
      decodeTokensPerSec: 1,
      slots: mlxMaxConcurrency,
      batchSlowdown: MLX_BATCH_SLOWDOWN,
      memoryGb: machineGb,
    })),
    { urls: Object.fromEntries(nodes.map((n) => [n.id, n.url])), seed, profiles: FRONTIER_PROFILES },
  );
  const weights = new Map(nodes.map((n) => [n.size.id, n.weightsGb ?? 0]));
  return {
    ...base,
    nodes: base.nodes.map((n) => ({
      ...n,
      kind: 'mlx' as const,
      batchSlowdown: MLX_BATCH_SLOWDOWN,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    })),
    models: base.models.map((m) => ({
      ...m,
      family: 'llama',
      memoryGb: +(weights.get(m.id) ?? 0).toFixed(4),
    })),
  };
}

/** Straight to the nodes: `pick` chooses one per request. */
function direct(pick: (r: WorkloadRequest) => LiveNode): Endpoint {
  return {
    target(r) {
      const n = pick(r);
      return { url: `${n.url}/v1/chat/completions`, model: n.model, headers: agentHeaders(r), node: n.id };
    },
    stop: async () => {},
  };
}

/** The simulator's hand-written role map (HAND_MAP: reviewers and architects on the biggest model…). */
function handMap(nodes: LiveNode[]): (r: WorkloadRequest) => LiveNode {
  const bySize = [...nodes].sort((a, b) => b.size.parameters - a.size.parameters);
  const rank = { largest: 0, second: 1, third: 2, smallest: bySize.length - 1 };
  return (r) => bySize[Math.min(rank[HAND_MAP[r.role]], bySize.length - 1)] as LiveNode;
}

async function startEndpoint(
  policy: Policy,
  nodes: LiveNode[],
  dir: string,
  peers: PeersModule | undefined,
): Promise<Endpoint> {
  if (policy.startsWith('broke-')) return startBroke(policy, nodes, dir);
  if (policy === 'hand-map') return direct(handMap(nodes));
  if (policy === 'best-single') {
    const biggest = [...nodes].sort((a, b) => b.size.parameters - a.size.parameters)[0];
    return direct(() => biggest as LiveNode);
  }
  if (policy === 'random') return direct((r) => Rng.derive(seed, 'random-policy', r.id).pick(nodes));
  if (!peers) throw new Error('peers not loaded');
  const peerNodes = nodes.map((n) => ({ id: n.id, baseUrl: `${n.url}/v1`, model: n.model }));
  const gw =
    policy === 'portkey-loadbalance'
      ? await peers.startPortkey({ nodes: peerNodes })
      : await peers.startLitellm({
          nodes: peerNodes,
          strategy: (
            {
              'litellm-simple-shuffle': 'simple-shuffle',
              'litellm-least-busy': 'least-busy',
              'litellm-latency': 'latency-based-routing',
            } as const
          )[policy as 'litellm-simple-shuffle' | 'litellm-least-busy' | 'litellm-latency'],
        });
  return {
    target: (r) => ({
      url: `${gw.baseUrl}/chat/completions`,
      model: gw.model,
      headers: { ...gw.headers, ...agentHeaders(r) },
    }),
    // LiteLLM names the deployment (its id is the node id); Portkey the target's index.
    servedBy: (h) => {
      if (policy !== 'portkey-loadbalance') return h.get('x-litellm-model-id') ?? undefined;
      const i = /targets\[(\d+)\]/.exec(h.get('x-portkey-last-used-option-index') ?? '')?.[1];
      return i === undefined ? undefined : nodes[Number(i)]?.id;
    },
    stop: () => gw.stop(),
  };
}

// ------------------------------------------------------------------------------------ agents

interface Outcome {
  request: WorkloadRequest;
  ok: boolean;
  status: number;
  /** From the first attempt to the end of the answer, including waits after 429s. */
  latencyMs: number;
  node?: string;
  routeId?: string;
  rejected429: number;
  error?: string;
  quality: number;
  endAt: number;
  tokens?: number;
}

const REQUEST_TIMEOUT_MS = 120_000;
/** A policy whose first this-many answers all failed is broken, not slow: stop it early. */
const FIRST_FAILURES_ABORT = 10;
const MAX_ATTEMPTS = 30;

/** --real-mlx: the reply cap every policy sends (random weights never stop by themselves). */
const maxTokensFor = (r: WorkloadRequest) => Math.max(4, Math.round(r.outputTokens / tokenScale));

/**
 * One HTTP exchange. Emulated: the text only needs to carry the node marker. --real-mlx: the
 * served node comes from the target or the response headers (`servedBy`).
 */
async function exchange(
  target: Target,
  r: WorkloadRequest,
  servedBy?: (h: Headers) => string | undefined,
): Promise<{
  status: number;
  text: string;
  routeId?: string;
  node?: string;
  /** Reply tokens, from the usage the server reported. */
  tokens?: number;
  error?: string;
  retryAfterMs?: number;
}> {
  const res = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: JSON.stringify({
      model: target.model,
      messages: r.messages,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      ...(realMlx ? { max_tokens: maxTokensFor(r) } : {}),
    }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const routeId = res.headers.get('x-broke-route-id') ?? undefined;
  const node = target.node ?? servedBy?.(res.headers);
  const base = { status: res.status, ...(routeId ? { routeId } : {}), ...(node ? { node } : {}) };
  if (res.status !== 200) {
    const retryAfter = Number(res.headers.get('retry-after'));
    const body = (await res.text()).slice(0, 300);
    return {
      ...base,
      text: '',
      error: `HTTP ${res.status}: ${body}`,
      ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    };
  }
  if (!stream) {
    const body = (await res.json()) as {
      choices?: Array<{ message?: { content?: string } }>;
      usage?: { completion_tokens?: number };
    };
    const tokens = body.usage?.completion_tokens;
    return { ...base, text: body.choices?.[0]?.message?.content ?? '', ...(tokens ? { tokens } : {}) };
  }
  let text = '';
  let tokens: number | undefined;
  let error: string | undefined;
  let buf = '';
  const decoder = new TextDecoder();
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      for (const line of ev.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') continue;
        try {
          const j = JSON.parse(data) as {
            error?: { message?: string };
            choices?: Array<{ delta?: { content?: string } }>;
            usage?: { completion_tokens?: number };
          };
          if (j.error) error = j.error.message ?? JSON.stringify(j.error);
          if (j.usage?.completion_tokens) tokens = j.usage.completion_tokens;
          // The marker is the first token: keep only the start of the text.
          if (text.length < 200) text += j.choices?.[0]?.delta?.content ?? '';
        } catch {
          error = `unparsable event: ${data.slice(0, 100)}`;
        }
      }
    }
  }
  return { ...base, text, ...(tokens ? { tokens } : {}), ...(error ? { error } : {}) };
}

interface PhaseResult {
  outcomes: Outcome[];
  makespanMs: number;
}

/** Every agent runs its own sequence: request, answer, judge (and feedback), think, next. */
async function runPhase(
  w: Workload,
  ep: Endpoint,
  nodes: Map<string, LiveNode>,
  score: ReturnType<typeof judge>,
  label: string,
): Promise<PhaseResult> {
  const outcomes: Outcome[] = [];
  const t0 = performance.now();
  let done = 0;
  const progressEvery = Math.max(1, Math.floor(w.requests.length / 5));
  const one = async (r: WorkloadRequest): Promise<Outcome> => {
    const start = performance.now();
    const target = ep.target(r);
    const backoff = Rng.derive(seed, 'backoff', r.id);
    let rejected429 = 0;
    let last: Awaited<ReturnType<typeof exchange>> | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        last = await exchange(target, r, ep.servedBy);
      } catch (err) {
        last = { status: 0, text: '', error: (err as Error).message };
      }
      // Busy (429, or 503 "node busy"): wait with jittered exponential backoff and try again, as
      // agent frameworks do; everything else is final.
      if (last.status !== 429 && last.status !== 503) break;
      rejected429 += last.status === 429 ? 1 : 0;
      const wait =
        last.retryAfterMs ?? Math.min(2000, 100 * 2 ** Math.min(attempt, 5)) * backoff.range(0.5, 1.5);
      await sleep(wait);
    }
    const end = performance.now();
    const node = last ? (realMlx ? last.node : nodeOf(last.text)) : undefined;
    const live = node ? nodes.get(node) : undefined;
    const ok = Boolean(last && last.status === 200 && !last.error && live);
    const quality =
      ok && live
        ? score({
            requestId: r.id,
            difficulty: r.difficulty,
            model: { ...live.size, weakened: false },
          })
        : 0;
    const unnamed = realMlx
      ? `the response names no known node (${node ?? 'none'})`
      : 'answer carries no node marker';
    const error = ok
      ? undefined
      : (last?.error ?? (last?.status === 200 ? unnamed : `status ${last?.status}`));
    return {
      request: r,
      ok,
      status: last?.status ?? 0,
      latencyMs: end - start,
      ...(node ? { node } : {}),
      ...(last?.routeId ? { routeId: last.routeId } : {}),
      ...(ok && last?.tokens ? { tokens: last.tokens } : {}),
      rejected429,
      ...(error ? { error } : {}),
      quality,
      endAt: end - t0,
    };
  };
  let broken: Error | undefined;
  await Promise.all(
    w.agents.map(async (agent: Agent) => {
      for (const r of w.byAgent[agent.id] ?? []) {
        if (broken) return;
        const o = await one(r);
        outcomes.push(o);
        if (!o.ok && outcomes.filter((x) => !x.ok).length <= 3) log(`${label}: ${r.id} failed: ${o.error}`);
        if (outcomes.length === FIRST_FAILURES_ABORT && outcomes.every((x) => !x.ok))
          broken = new Error(`${label}: the first ${FIRST_FAILURES_ABORT} requests all failed (${o.error})`);
        if (o.ok && o.routeId && ep.feedback) await ep.feedback(o.routeId, o.quality);
        if (args.explain && o.routeId && ep.explain && r.difficultyClass === 'hard')
          log(`${label}: ${r.id} hard ${r.taskType} → ${o.node}: ${await ep.explain(o.routeId)}`);
        done += 1;
        if (done % progressEvery === 0) log(`${label}: ${done}/${w.requests.length}`);
        await sleep(r.thinkMs);
      }
    }),
  );
  if (broken) throw broken;
  // The makespan ends with the last answer, not the last think time.
  return { outcomes, makespanMs: Math.max(0, ...outcomes.map((o) => o.endAt)) };
}

// ------------------------------------------------------------------------------------ metrics

interface PolicyResult {
  policy: Policy;
  makespanS: number;
  p50S: number;
  p95S: number;
  quality: number;
  hardToLarge: number;
  hardCount: number;
  errors: number;
  rejected429: number;
  perNode: Record<string, number>;
  /** Reply tokens the nodes reported, per node (answered requests only). */
  tokensPerNode: Record<string, number>;
  failures: string[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

function summarise(policy: Policy, phase: PhaseResult, nodes: Map<string, LiveNode>): PolicyResult {
  const o = phase.outcomes;
  const hard = o.filter((x) => x.request.difficultyClass === 'hard');
  const large = (x: Outcome) => (x.node ? nodes.get(x.node)?.size.tier === 'large' : false);
  const perNode: Record<string, number> = {};
  const tokensPerNode: Record<string, number> = {};
  for (const x of o)
    if (x.ok && x.node) {
      perNode[x.node] = (perNode[x.node] ?? 0) + 1;
      tokensPerNode[x.node] = (tokensPerNode[x.node] ?? 0) + (x.tokens ?? 0);
    }
  return {
    policy,
    makespanS: phase.makespanMs / 1000,
    p50S:
      pct(
        o.map((x) => x.latencyMs),
        50,
      ) / 1000,
    p95S:
      pct(
        o.map((x) => x.latencyMs),
        95,
      ) / 1000,
    quality: o.reduce((s, x) => s + x.quality, 0) / Math.max(1, o.length),
    hardToLarge: hard.filter((x) => x.ok && large(x)).length / Math.max(1, hard.length),
    hardCount: hard.length,
    errors: o.filter((x) => !x.ok).length,
    rejected429: o.reduce((s, x) => s + x.rejected429, 0),
    perNode,
    tokensPerNode,
    failures: [...new Set(o.filter((x) => !x.ok).map((x) => x.error ?? '?'))].slice(0, 3),
  };
}

// ------------------------------------------------------------------------------------ report

const FAMILY_COLOR: Array<[RegExp, string]> = [
  [/^broke-/, '#1f6feb'],
  [/^litellm-/, '#d97706'],
  [/^portkey-/, '#9333ea'],
  [/./, '#6b7280'],
];

/** Quality (y) against makespan (x), one labelled point per policy, drawn by hand. */
function svg(results: PolicyResult[]): string {
  const W = 760;
  const H = 500;
  const m = { l: 70, r: 30, t: 40, b: 60 };
  const xs = results.map((r) => r.makespanS);
  const ys = results.map((r) => r.quality);
  const nice = (lo: number, hi: number) => {
    const span = hi - lo || 1;
    const step = 10 ** Math.floor(Math.log10(span / 4));
    const unit = [1, 2, 5, 10].map((k) => k * step).find((s) => span / s <= 6) ?? step * 10;
    return { lo: Math.floor(lo / unit) * unit, hi: Math.ceil(hi / unit) * unit, unit };
  };
  const xr = nice(Math.min(0, ...xs), Math.max(...xs) * 1.05);
  const yr = nice(Math.max(0, Math.min(...ys) - 0.05), Math.min(1, Math.max(...ys) + 0.05));
  const X = (v: number) => +(m.l + ((v - xr.lo) / (xr.hi - xr.lo || 1)) * (W - m.l - m.r)).toFixed(1);
  const Y = (v: number) => +(H - m.b - ((v - yr.lo) / (yr.hi - yr.lo || 1)) * (H - m.t - m.b)).toFixed(1);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${realMlx ? 'Real mlx_lm.server nodes: quality' : 'Mean judged quality'} vs makespan (seed ${seed}, ${requests} requests, ${stream ? 'streaming' : 'non-streaming'})</text>`,
  ];
  for (let v = xr.lo; v <= xr.hi + 1e-9; v += xr.unit) {
    parts.push(
      `<line x1="${X(v)}" y1="${m.t}" x2="${X(v)}" y2="${H - m.b}" stroke="#eee"/>`,
      `<text x="${X(v)}" y="${H - m.b + 18}" text-anchor="middle">${+v.toFixed(3)}</text>`,
    );
  }
  for (let v = yr.lo; v <= yr.hi + 1e-9; v += yr.unit) {
    parts.push(
      `<line x1="${m.l}" y1="${Y(v)}" x2="${W - m.r}" y2="${Y(v)}" stroke="#eee"/>`,
      `<text x="${m.l - 8}" y="${Y(v) + 4}" text-anchor="end">${+v.toFixed(3)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 18}" text-anchor="middle">makespan (s) — lower is better</text>`,
    `<text transform="translate(18 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">mean judged quality — higher is better</text>`,
  );
  // Labels alternate sides so neighbouring points stay readable.
  const order = [...results].sort((a, b) => a.makespanS - b.makespanS);
  order.forEach((r, i) => {
    const color = (FAMILY_COLOR.find(([re]) => re.test(r.policy)) as [RegExp, string])[1];
    const x = X(r.makespanS);
    const y = Y(r.quality);
    const dy = i % 2 === 0 ? -9 : 17;
    parts.push(
      `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="${color}"/>`,
      `<text x="${(x + 7).toFixed(1)}" y="${(y + dy).toFixed(1)}" fill="${color}">${esc(r.policy)}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

function versions(): string[] {
  const lines = [`node ${process.version}`];
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages/core/src'], { cwd: ROOT })
      .toString()
      .trim();
    lines.push(`BROKE at ${head}${dirty ? ' (packages/core/src has uncommitted changes)' : ''}`);
  } catch {
    // not a git checkout
  }
  const req = join(import.meta.dirname, 'peers/litellm-requirements.txt');
  if (policies.some((p) => p.startsWith('litellm-')) && existsSync(req)) {
    const pin = readFileSync(req, 'utf8')
      .split('\n')
      .find((l) => /^litellm\b/.test(l.trim()));
    if (pin) lines.push(`LiteLLM ${pin.trim()}`);
  }
  const pk = join(import.meta.dirname, 'peers/portkey/package.json');
  if (policies.includes('portkey-loadbalance') && existsSync(pk)) {
    const deps = (JSON.parse(readFileSync(pk, 'utf8')) as { dependencies?: Record<string, string> })
      .dependencies;
    const v = deps?.['@portkey-ai/gateway'];
    if (v) lines.push(`Portkey gateway ${v}`);
  }
  return lines;
}

// ------------------------------------------------------------------------------------ simulator

/** The simulator's counterpart of each emulated policy (peers: what their strategy does). */
function simulated(policy: Policy): SimPolicy {
  if (policy.startsWith('broke-'))
    return { kind: 'broke', model: BROKE_MODEL[policy] as string, seed, profiles: FRONTIER_PROFILES };
  if (policy === 'hand-map') return { kind: 'baseline', policy: handMapPolicy() };
  if (policy === 'best-single') return { kind: 'baseline', policy: bestSinglePolicy() };
  if (policy === 'litellm-least-busy') return { kind: 'baseline', policy: leastBusyPolicy() };
  if (policy === 'litellm-latency') return { kind: 'baseline', policy: latencyPolicy() };
  return { kind: 'baseline', policy: randomPolicy(seed) }; // random, simple-shuffle, Portkey load balance
}

/** The same plan in virtual time: same profiles, workloads, warm-up and judge. */
function simulateAll(
  profiles: HardwareProfile[],
  measured: Workload,
  warmup: Workload,
): Map<Policy, PolicySummary> {
  const out = new Map<Policy, PolicySummary>();
  for (const policy of policies) {
    const sim = simulated(policy);
    const learns = !['hand-map', 'best-single', 'random'].includes(policy);
    const result = simulate({
      profiles,
      policy: sim,
      workload: measured,
      ...(learns && sim.kind === 'broke' && warmup.requests.length ? { warmup } : {}),
      judgeSeed: seed,
    });
    out.set(policy, summariseSimulation(result, profiles));
  }
  return out;
}

// ------------------------------------------------------------------------------------ verdict

const PEERS: readonly Policy[] = [
  'litellm-simple-shuffle',
  'litellm-least-busy',
  'litellm-latency',
  'portkey-loadbalance',
  'hand-map',
];

/**
 * Issue 15's test of a frontier: a BROKE profile dominates a peer when it is at least as good on
 * quality and at least 25% faster, or at least as fast and at least 0.05 better.
 */
function dominates(b: PolicyResult, p: PolicyResult): string | undefined {
  if (b.quality >= p.quality && b.makespanS <= 0.75 * p.makespanS)
    return `${b.policy}: ${(100 * (1 - b.makespanS / p.makespanS)).toFixed(0)}% faster, quality ${b.quality - p.quality >= 0 ? '+' : ''}${(b.quality - p.quality).toFixed(3)}`;
  if (b.makespanS <= p.makespanS && b.quality >= p.quality + 0.05)
    return `${b.policy}: quality +${(b.quality - p.quality).toFixed(3)}, ${(100 * (1 - b.makespanS / p.makespanS)).toFixed(0)}% faster`;
  return undefined;
}

function verdict(results: PolicyResult[]): string[] {
  const broke = results.filter((r) => r.policy.startsWith('broke-'));
  const rows = results
    .filter((r) => PEERS.includes(r.policy))
    .map((p) => {
      const wins = broke.map((b) => dominates(b, p)).filter((x): x is string => Boolean(x));
      return `| ${p.policy} | ${p.makespanS.toFixed(1)} s, ${p.quality.toFixed(3)} | ${wins.length ? `yes — ${wins.join('; ')}` : '**no**'} |`;
    });
  if (!rows.length || !broke.length) return [];
  return [
    '## Does a BROKE profile dominate each peer?',
    '',
    'A BROKE profile dominates a peer when, in this run, it is at least as good on quality and at least 25% faster (makespan), or at least as fast and at least 0.05 better on mean quality.',
    '',
    '| peer | peer makespan, quality | dominated by |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ];
}

/**
 * How close each policy is to what any router could do at its speed: the certified quality bound
 * (simulation/quality-bound.ts) at its makespan, and at the targets issue 15 names.
 */
function boundLines(results: PolicyResult[], profiles: HardwareProfile[], measured: Workload): string[] {
  const at = (t: number) => qualityBound(measured, profiles, t).meanQuality;
  const hand = results.find((r) => r.policy === 'hand-map');
  const single = results.find((r) => r.policy === 'best-single');
  const targets = [
    ...(hand
      ? [[`half the hand-map's makespan (needs ≥ ${hand.quality.toFixed(3)})`, hand.makespanS / 2] as const]
      : []),
    ...(single
      ? [
          [
            `best-single's makespan ÷ 1.3 (needs ≥ ${single.quality.toFixed(3)})`,
            single.makespanS / 1.3,
          ] as const,
        ]
      : []),
  ];
  return [
    '## How far from possible',
    '',
    "The most mean quality any router could reach on this workload and cluster within a makespan: an upper bound from each node's peak output rate and each agent's one-after-another requests, relaxed with prices (`packages/core/src/simulation/quality-bound.ts`; oracle expectations, so ±0.003 judge noise). It is loose (peak rates that a node only reaches in bursts, no queueing), so a target above it is impossible, one below it only possibly reachable. With unlimited time: " +
      `${at(1e9).toFixed(3)}.`,
    '',
    '| policy | makespan s | mean quality | bound at that makespan | share of the bound |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map((r) => {
      const b = at(r.makespanS);
      return `| ${r.policy} | ${fmt(r.makespanS, 1)} | ${fmt(r.quality, 3)} | ${fmt(b, 3)} | ${fmt((100 * r.quality) / b, 0)}% |`;
    }),
    ...targets.map(([what, t]) => `| *target: ${what}* | ${fmt(t, 1)} | | ${fmt(at(t), 3)} | |`),
    '',
    ...(hand
      ? [
          `At half the hand-map's makespan no router can reach more than ${fmt(at(hand.makespanS / 2), 3)} mean quality on this workload and cluster: a fixed target above that (such as the 0.84 the hand-written map scored in the measurement that opened issue 15) is impossible here.`,
          '',
        ]
      : []),
  ];
}

function agreement(results: PolicyResult[], sims: Map<Policy, PolicySummary>): string[] {
  if (!sims.size) return [];
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  return [
    '## The simulator against this emulation',
    '',
    "The same plan run by the discrete-event simulator (`broke-cluster simulate`'s engine: same profiles, workloads, warm-up and judge, virtual time, the real router code; LiteLLM's and Portkey's strategies as the simulator's `least-busy`, `latency-based` and `random`). Δ: simulated relative to emulated.",
    '',
    '| policy | emulated makespan s | simulated makespan s | Δ makespan | emulated quality | simulated quality | Δ quality |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => {
      const s = sims.get(r.policy);
      if (!s) return `| ${r.policy} | ${f(r.makespanS)} | – | – | ${f(r.quality, 3)} | – | – |`;
      return `| ${r.policy} | ${f(r.makespanS)} | ${f(s.makespanSec)} | ${f(100 * (s.makespanSec / r.makespanS - 1), 0)}% | ${f(r.quality, 3)} | ${f(s.meanQuality, 3)} | ${f(100 * (s.meanQuality / r.quality - 1), 1)}% |`;
    }),
    '',
  ];
}

interface RunMeta {
  loadBefore: number[];
  loadAfter: number[];
  started: Date;
  wallS: number;
}

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');

/** Date, machine, load, versions and command: the head of both reports. */
function runLines(meta: RunMeta): string[] {
  const cpus = os.cpus();
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const command = `npx tsx bench/cluster/run.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  return [
    `- date: ${meta.started.toISOString()} (${fmt(meta.wallS, 0)} s wall for the whole run)`,
    `- machine: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    `- load average (1 / 5 / 15 min): ${la(meta.loadBefore)} before, ${la(meta.loadAfter)} after`,
    `- versions: ${versions().join('; ')}`,
    `- command: \`${command}\``,
  ];
}

/** The results table and how to read it. */
function resultLines(results: PolicyResult[]): string[] {
  const f = fmt;
  return [
    '| policy | makespan s | p50 s | p95 s | mean quality | hard→large % | errors | 429s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.policy} | ${f(r.makespanS, 1)} | ${f(r.p50S)} | ${f(r.p95S)} | ${f(r.quality, 3)} | ${f(r.hardToLarge * 100, 0)} (of ${r.hardCount}) | ${r.errors} | ${r.rejected429} |`,
    ),
    '',
    'Mean quality: the judge (hidden oracle by model size × difficulty, plus noise σ 0.05; packages/core/src/simulation/oracle.ts) over all measured requests, a failed request scoring 0. hard→large: share of hard prompts answered by the large-tier model. Latency: from the first attempt to the end of the answer, waits after 429/503 included (agents back off 100 ms × 2ⁿ, jittered, ≤ 2 s, up to 30 attempts). Makespan: start of the measured phase to the last answer.',
    '',
    `![quality vs makespan](${basename(outBase)}.svg)`,
    '',
  ];
}

function perNodeLines(results: PolicyResult[], nodeIds: string[]): string[] {
  return [
    'Requests answered per node:',
    '',
    `| policy | ${nodeIds.join(' | ')} |`,
    `| --- | ${nodeIds.map(() => '---:').join(' | ')} |`,
    ...results.map((r) => `| ${r.policy} | ${nodeIds.map((id) => r.perNode[id] ?? 0).join(' | ')} |`),
    '',
  ];
}

function failureLines(results: PolicyResult[]): string[] {
  if (!results.some((r) => r.failures.length)) return [];
  return [
    'First distinct errors per policy:',
    '',
    ...results
      .filter((r) => r.failures.length)
      .map(
        (r) =>
          `- ${r.policy}: ${r.failures.map((e) => `\`${e.replace(/\s+/g, ' ').slice(0, 160)}\``).join('; ')}`,
      ),
    '',
  ];
}

function report(
  results: PolicyResult[],
  profiles: HardwareProfile[],
  measured: Workload,
  meta: RunMeta,
  sims: Map<Policy, PolicySummary> = new Map(),
): string {
  const f = fmt;
  const nodeIds = profiles.map((p) => p.id);
  return [
    '# Heterogeneous cluster benchmark',
    '',
    ...runLines(meta),
    `- workload: seed ${seed}, ${requests} measured requests from 20 agents (4 teams × 5, roles researcher, writer, code_reviewer, architect, support, data_analyst), closed loop, think time ≈ ${thinkMs} ms; ${stream ? 'streaming' : 'non-streaming'} requests with \`fetch\``,
    `- warm-up: ${warmupCount} judged requests (another seed) before each gateway policy, not counted; BROKE gets \`POST /v1/feedback\` with the judge's score after every answer. Direct policies (hand-map, best-single, random) do not learn and skip it.`,
    `- nodes: emulated (bench/cluster/emulated-node.ts), rates ×${speedup} of the real machines; fresh nodes for every policy`,
    '',
    ...resultLines(results),
    ...verdict(results),
    ...boundLines(results, profiles, measured),
    ...agreement(results, sims),
    ...perNodeLines(results, nodeIds),
    ...failureLines(results),
    `Nodes (rates as emulated, i.e. ×${speedup}; real rates in packages/core/src/simulation/hardware.ts):`,
    '',
    '| node | machine | model | params B | tier | prefill tok/s | decode tok/s | slots | batch slow-down |',
    '| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: |',
    ...profiles.map(
      (p) =>
        `| ${p.id} | ${p.chip} | ${p.model.id} | ${p.model.parameters} | ${p.model.tier} | ${f(p.prefillTokensPerSec, 0)} | ${f(p.decodeTokensPerSec, 0)} | ${p.slots} | ${p.batchSlowdown} |`,
    ),
    '',
  ].join('\n');
}

/** Installed versions of mlx and mlx-lm in the venv (from their dist-info folder names). */
function mlxVersions(server: string): string {
  const venv = dirname(dirname(server));
  try {
    const lib = join(venv, 'lib');
    const site = join(lib, readdirSync(lib).find((d) => d.startsWith('python')) ?? '', 'site-packages');
    const dists = readdirSync(site);
    const v = (name: string) =>
      dists.find((d) => d.startsWith(`${name}-`) && d.endsWith('.dist-info'))?.slice(name.length + 1, -10) ??
      '?';
    return `mlx ${v('mlx')}, mlx-lm ${v('mlx_lm')}`;
  } catch {
    return 'mlx ?, mlx-lm ?';
  }
}

const median = (xs: number[]) => pct(xs, 50);

function reportMlx(
  results: PolicyResult[],
  setup: MlxSetup,
  calibrations: Array<Record<string, Calibration>>,
  measured: Workload,
  meta: RunMeta,
): string {
  const f = fmt;
  const nodeIds = MLX_NODES.map((n) => n.id);
  const roles = [...new Set(measured.agents.map((a) => a.role))].join(', ');
  const tokenRows = results.map((r) => {
    const total = nodeIds.reduce((sum, id) => sum + (r.tokensPerNode[id] ?? 0), 0);
    return `| ${r.policy} | ${nodeIds.map((id) => r.tokensPerNode[id] ?? 0).join(' | ')} | ${total} |`;
  });
  const expected = measured.requests.reduce((sum, r) => sum + maxTokensFor(r), 0);
  return [
    '# Heterogeneous cluster benchmark on real mlx_lm.server nodes',
    '',
    'The same policies, workload shape and judge as `bench/results/cluster.md`, in front of three real `mlx_lm.server` processes instead of emulated Macs.',
    '',
    ...runLines(meta),
    `- inference: ${mlxVersions(setup.server)} (CPU backend on this machine), all three servers sharing the machine's cores with the gateways and the load generator`,
    `- workload: seed ${seed}, ${requests} measured requests from ${measured.agents.length} agents (${MLX_TEAMS} teams × ${MLX_AGENTS_PER_TEAM}, roles ${roles}), closed loop, think time ≈ ${thinkMs} ms; ${stream ? 'streaming' : 'non-streaming'} requests with \`fetch\``,
    `- reply length: every request of every policy sends \`max_tokens\` = its hidden answer length ÷ ${tokenScale} (at least 4; ${expected} tokens over the measured requests). Random weights never emit the end token, so each reply is exactly that long: the work stays proportional to the emulation's and is the same for every policy (checked by the reply-token table below).`,
    `- warm-up: ${warmupCount} judged requests (another seed) before each gateway policy, not counted; BROKE gets \`POST /v1/feedback\` with the judge's score after every answer. Direct policies (hand-map, best-single, random) do not learn and skip it.`,
    "- nodes: fresh servers for every policy (no prompt cache or warm state carried over), each warmed with one 4-token request and calibrated alone with one 32-token request before the policy starts. Each serves a random-weight llama model generated by `scripts/gen_tiny_model.py` (testbed/models.json: tiny, mini, medium; the larger `small` is left out because on this CPU its prefill runs at ≈ 70–90 tokens/s and best-single alone would spend ≈ 6 minutes in prefill), so the speed differences are real; the text is gibberish, so quality is the scripted judge's: the hidden oracle by the size class the node *plays* (below) × the request's hidden difficulty, plus noise.",
    `- BROKE is given the broke.yaml a user would write: kind \`mlx\`, each model's played \`parameters\` and tier, \`memoryGb\` = its real weights size, maxConcurrency ${mlxMaxConcurrency} and batchSlowdown ${MLX_BATCH_SLOWDOWN} per node. Speeds are not given: BROKE measures them from its probe and the traffic. Why ${MLX_MAX_CONCURRENCY} and ${MLX_BATCH_SLOWDOWN} by default: mlx_lm.server decodes concurrent requests as one batch (up to 32), each slower (measured alone, 64-token replies, 1 → 2 → 4 at once: mini 91 → 129 → 185 ms each, medium 168 → 263 → 472 ms each).`,
    '- served node: BROKE `x-broke-node`, LiteLLM `x-litellm-model-id` (deployment id = node id), Portkey `x-portkey-last-used-option-index` (target index), direct policies: the node they called. A response that names no node counts as an error.',
    '',
    ...resultLines(results),
    ...verdict(results),
    '## Reading these numbers',
    '',
    "- One run, one seed, on a small shared machine: the three servers, the gateway and the load generator share the same cores, so a node's speed depends on what the others are doing at that moment (the calibration below, taken with the other two servers idle, already varies between starts). Makespans move by tens of percent between runs; the random-like policies (random, litellm-simple-shuffle, portkey-loadbalance) differ from one another mostly by chance.",
    "- mlx_lm.server batches concurrent requests, and a short request batched with a long prompt (up to ≈ 2 600 tokens with the test tokenizer) waits for that prompt's prefill: all eight first requests of a run can finish together. Policies that send many requests to one node at once (direct policies, the peers, which have no per-node limit) get long tails from this; BROKE sends at most maxConcurrency at once per node and queues the rest in the gateway, where its finish-time prediction counts the wait.",
    "- Quality is the judge's score for the size class a node plays, not for its text (gibberish): what this run tests is routing against real servers — real speeds, batching, streaming, failures and the peers' real code — not model quality.",
    '',
    '## The simulator',
    '',
    'Not compared in this mode: the simulator needs a hardware profile per node (prefill and decode rates, slots, batch slow-down) and these CPU-bound servers have none worth the name — their speed depends on what the other two servers and the gateway are doing on the same cores at that moment. See `bench/results/cluster.md` for the simulator against the emulation.',
    '',
    ...perNodeLines(results, nodeIds),
    'Reply tokens generated per node (as the servers reported them; the same total for every policy means the same work):',
    '',
    `| policy | ${nodeIds.join(' | ')} | total |`,
    `| --- | ${nodeIds.map(() => '---:').join(' | ')} | ---: |`,
    ...tokenRows,
    '',
    ...failureLines(results),
    `Nodes (alone: median (min–max) over the ${calibrations.length} fresh starts of one streamed ${CALIBRATION_TOKENS}-token reply to a ${calibrations[0] ? Object.values(calibrations[0])[0]?.promptTokens : '?'}-token prompt, before each policy):`,
    '',
    '| node | serves (generated) | hidden × layers | weights MB | plays | params B | tier | alone TTFT ms | alone decode tok/s |',
    '| --- | --- | --- | ---: | --- | ---: | --- | ---: | ---: |',
    ...setup.models.map(({ spec, config, bytes }) => {
      const c = calibrations.map((x) => x[spec.id]).filter((x): x is Calibration => Boolean(x));
      const range = (xs: number[]) =>
        `${f(median(xs), 0)} (${f(Math.min(...xs), 0)}–${f(Math.max(...xs), 0)})`;
      return `| ${spec.id} | ${spec.generated} | ${config.hidden_size} × ${config.num_hidden_layers} | ${f(bytes / 1e6, 1)} | ${spec.plays.id} | ${spec.plays.parameters} | ${spec.plays.tier} | ${range(c.map((x) => x.ttftMs))} | ${range(c.map((x) => x.decodeTps))} |`;
    }),
    '',
  ].join('\n');
}

// ------------------------------------------------------------------------------------ main

async function main() {
  const started = new Date();
  const loadBefore = os.loadavg();
  const t0 = performance.now();
  if (policies.some((p) => p.startsWith('broke-')) && !existsSync(BROKE_CLI))
    fail(`${BROKE_CLI} is missing: run \`npm run -s build\` first`);
  const peers = policies.some((p) => p.startsWith('litellm-') || p.startsWith('portkey-'))
    ? await loadPeers()
    : undefined;

  const profiles = macCluster({ speedup });
  if (profiles.length !== MAC_PRESETS.length) throw new Error('unexpected cluster');
  // --real-mlx: a smaller team (8 agents) for three CPU-bound servers on a small machine.
  const team = realMlx ? { teams: MLX_TEAMS, agentsPerTeam: MLX_AGENTS_PER_TEAM } : {};
  const measured = generateWorkload({ seed, requests, thinkMs, idPrefix: 'm', ...team });
  const warmup = generateWorkload({
    seed: seed + 1000,
    requests: warmupCount,
    thinkMs,
    idPrefix: 'w',
    ...team,
  });
  const outputs = outputTable(measured, warmup);
  const score = judge(seed);
  const mlx = realMlx ? await prepareMlx() : undefined;
  const calibrations: Array<Record<string, Calibration>> = [];
  const work = mkdtempSync(join(os.tmpdir(), 'broke-cluster-'));
  const results: PolicyResult[] = [];
  try {
    for (const policy of policies) {
      log(`${policy}: starting fresh nodes`);
      const tp = performance.now();
      const cluster: { nodes: LiveNode[]; stop(): Promise<void>; calibration?: Record<string, Calibration> } =
        mlx ? await startMlxNodes(mlx) : await startNodes(profiles, outputs, work);
      if (cluster.calibration) {
        calibrations.push(cluster.calibration);
        log(
          `${policy}: nodes up in ${((performance.now() - tp) / 1000).toFixed(1)} s; alone: ${Object.entries(
            cluster.calibration,
          )
            .map(([id, c]) => `${id} TTFT ${c.ttftMs.toFixed(0)} ms, ${c.decodeTps.toFixed(0)} tok/s`)
            .join('; ')}`,
        );
      }
      const byId = new Map(cluster.nodes.map((n) => [n.id, n]));
      let ep: Endpoint | undefined;
      try {
        ep = await startEndpoint(policy, cluster.nodes, work, peers);
        const learns = !['hand-map', 'best-single', 'random'].includes(policy);
        if (learns && warmup.requests.length) await runPhase(warmup, ep, byId, score, `${policy} warm-up`);
        const phase = await runPhase(measured, ep, byId, score, policy);
        const result = summarise(policy, phase, byId);
        if (result.errors === phase.outcomes.length)
          throw new Error(`${policy}: every request failed (${result.failures.join('; ')})`);
        results.push(result);
        log(
          `${policy}: makespan ${result.makespanS.toFixed(1)} s, p95 ${result.p95S.toFixed(2)} s, quality ${result.quality.toFixed(3)}, hard→large ${(result.hardToLarge * 100).toFixed(0)}%, errors ${result.errors}, 429s ${result.rejected429}${mlx ? ` (policy done in ${((performance.now() - tp) / 1000).toFixed(0)} s)` : ''}`,
        );
      } finally {
        await ep?.stop();
        await cluster.stop();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const loadAfter = os.loadavg();
  const wallS = (performance.now() - t0) / 1000;
  const md = mlx
    ? reportMlx(results, mlx, calibrations, measured, { loadBefore, loadAfter, started, wallS })
    : report(
        results,
        profiles,
        measured,
        { loadBefore, loadAfter, started, wallS },
        simulateAll(profiles, measured, warmup),
      );
  mkdirSync(dirname(outBase), { recursive: true });
  // Both files appear together or not at all: written aside, renamed at the end.
  const tmpMd = `${outBase}.md.tmp-${process.pid}`;
  const tmpSvg = `${outBase}.svg.tmp-${process.pid}`;
  writeFileSync(tmpMd, md);
  writeFileSync(tmpSvg, svg(results));
  renameSync(tmpSvg, `${outBase}.svg`);
  renameSync(tmpMd, `${outBase}.md`);
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
