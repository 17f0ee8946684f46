/**
 * Launchers for the peer gateways BROKE is benchmarked against (bench/cluster/run.ts): the real
 * LiteLLM proxy and the real Portkey gateway, each in front of the same emulated OpenAI-compatible
 * nodes. Both are installed apart from BROKE's own dependencies (see README.md beside this file):
 *
 *   LiteLLM  `litellm[proxy]` pinned in litellm-requirements.txt, in a venv under
 *            $BROKE_CACHE (default ~/.cache/broke)/litellm-venv-<hash of the pins>
 *   Portkey  `@portkey-ai/gateway` pinned in portkey/package.json + package-lock.json, installed
 *            in portkey/node_modules (not an npm workspace of the root)
 *
 * Every peer runs as a child process in its own process group, bound to 127.0.0.1 on a free port,
 * with everything that could reach the internet switched off or pointed at a dead loopback port.
 * stop() kills the whole group; so does this process's exit (and SIGINT/SIGTERM), and the child
 * gets SIGKILL from the kernel should this process die without cleaning up (setpriv --pdeathsig).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PeerNode {
  id: string;
  /** http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  model: string;
}

export interface PeerGateway {
  /** Ends in /v1. */
  baseUrl: string;
  /** What clients put in the request body's `model`. */
  model: string;
  /** Headers every request must carry (Portkey's routing config travels in one). */
  headers: Record<string, string>;
  stop(): Promise<void>;
}

const HERE = import.meta.dirname;
const cacheDir = () => process.env.BROKE_CACHE ?? join(homedir(), '.cache', 'broke');
const LITELLM_REQUIREMENTS = join(HERE, 'litellm-requirements.txt');
const PORTKEY_DIR = join(HERE, 'portkey');
/** Bump when the way the venv is built changes, so a new key (a new venv) follows. */
const LITELLM_INSTALL_RECIPE = 'venv+pip-r v1';
/** The model clients ask for: LiteLLM's model group (every node is one deployment of it). */
const GROUP = 'cluster';
/** Anything a peer would fetch from the internet is pointed here instead: a closed loopback port. */
const DEAD_URL = 'http://127.0.0.1:9/disabled';
const READY_TIMEOUT_MS = Number(process.env.BROKE_PEER_READY_TIMEOUT_MS ?? 180_000);

const log = (line: string) => process.stderr.write(`[peers] ${line}\n`);

// ---------------------------------------------------------------- installs

/** Exclusive section across processes: a lock folder holding the owner's pid; stale locks are taken over. */
async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = 0;
      try {
        owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8')) || 0;
      } catch {
        // not written yet, or the lock was just released
      }
      if (owner && !alive(owner)) rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockDir}`);
      else await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs a command with its output on our stderr; rejects on a non-zero exit. */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', process.stderr, process.stderr] });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code})`)),
    );
  });
}

/** Python 3.11, which the pins in litellm-requirements.txt are for. */
function findPython(): string {
  const candidates = [
    process.env.BROKE_PYTHON,
    'python3.11',
    join(homedir(), '.pyenv/shims/python3.11'),
    'python3',
  ];
  for (const py of candidates) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
      encoding: 'utf8',
    });
    if (r.status === 0 && r.stdout.trim() === '3.11') return py;
  }
  throw new Error('LiteLLM needs Python 3.11 (python3.11 on PATH, or BROKE_PYTHON)');
}

function litellmVenvPath(): string {
  const key = createHash('sha256')
    .update(readFileSync(LITELLM_REQUIREMENTS))
    .update(LITELLM_INSTALL_RECIPE)
    .update(`${process.platform}-${process.arch}`)
    .digest('hex')
    .slice(0, 16);
  return join(cacheDir(), `litellm-venv-${key}`);
}

let litellmVenv: Promise<string> | undefined;

/** The LiteLLM venv, created on first use (once per pin set on this machine). */
function ensureLitellm(): Promise<string> {
  litellmVenv ??= (async () => {
    const venv = litellmVenvPath();
    const ready = join(venv, '.ready');
    if (existsSync(ready)) return venv;
    mkdirSync(cacheDir(), { recursive: true });
    await withLock(`${venv}.lock`, async () => {
      if (existsSync(ready)) return;
      const python = findPython();
      log(`installing LiteLLM into ${venv} (using ${python})`);
      rmSync(venv, { recursive: true, force: true });
      try {
        await run(python, ['-m', 'venv', venv]);
        await run(join(venv, 'bin/python'), [
          '-m',
          'pip',
          'install',
          '--disable-pip-version-check',
          '--no-input',
          '--quiet',
          '--cache-dir',
          join(cacheDir(), 'pip'),
          '-r',
          LITELLM_REQUIREMENTS,
        ]);
        writeFileSync(ready, `${new Date().toISOString()}\n`);
      } catch (err) {
        rmSync(venv, { recursive: true, force: true });
        throw err;
      }
    });
    return venv;
  })();
  litellmVenv.catch(() => (litellmVenv = undefined));
  return litellmVenv;
}

let portkeyInstall: Promise<string> | undefined;

/** portkey/node_modules from the lock file, reinstalled when package.json or the lock changes. */
function ensurePortkey(): Promise<string> {
  portkeyInstall ??= (async () => {
    const marker = join(PORTKEY_DIR, 'node_modules', '.broke-installed');
    const key = createHash('sha256')
      .update(readFileSync(join(PORTKEY_DIR, 'package.json')))
      .update(readFileSync(join(PORTKEY_DIR, 'package-lock.json')))
      .digest('hex');
    const isReady = () => existsSync(marker) && readFileSync(marker, 'utf8').trim() === key;
    if (isReady()) return PORTKEY_DIR;
    mkdirSync(cacheDir(), { recursive: true });
    await withLock(join(cacheDir(), 'portkey-install.lock'), async () => {
      if (isReady()) return;
      log(`installing the Portkey gateway into ${join(PORTKEY_DIR, 'node_modules')}`);
      // npm ci from the lock; its cache is BROKE's. No install scripts: the gateway's only one is
      // a `patch-package` hook for its own development that has nothing to patch in the package.
      await run(
        'npm',
        [
          'ci',
          '--cache',
          join(cacheDir(), 'npm'),
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--workspaces=false',
          '--loglevel=warn',
        ],
        { cwd: PORTKEY_DIR },
      );
      writeFileSync(marker, `${key}\n`);
    });
    return PORTKEY_DIR;
  })();
  portkeyInstall.catch(() => (portkeyInstall = undefined));
  return portkeyInstall;
}

/** Installs both peers (idempotent: later calls find them ready) and says where they are. */
export async function setupPeers(): Promise<void> {
  const [venv, portkey] = [await ensureLitellm(), await ensurePortkey()];
  log(`LiteLLM ${litellmVersion(venv)}: ${venv}`);
  log(`Portkey gateway ${portkeyVersion()}: ${join(portkey, 'node_modules/@portkey-ai/gateway')}`);
}

function litellmVersion(venv: string): string {
  const r = spawnSync(
    join(venv, 'bin/python'),
    ['-c', 'import importlib.metadata as m; print(m.version("litellm"))'],
    { encoding: 'utf8' },
  );
  return r.stdout.trim() || '?';
}

function portkeyVersion(): string {
  const pkg = join(PORTKEY_DIR, 'node_modules/@portkey-ai/gateway/package.json');
  const hono = join(PORTKEY_DIR, 'node_modules/@hono/node-server/package.json');
  const v = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { version: string }).version;
  return `${v(pkg)} (@hono/node-server ${v(hono)})`;
}

// ---------------------------------------------------------------- processes

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Peer {
  name: string;
  /** A folder of the peer's own (its config), removed when it stops. */
  scratch?: string;
  child: ChildProcess;
  exited: Promise<void>;
  hasExited(): boolean;
  /** The last lines the process printed (stdout and stderr), for error messages. */
  tail(lines?: number): string;
  /** Kills the process group, then removes the peer's scratch folder. */
  stop(): Promise<void>;
}

const live = new Set<Peer>();
let hooksInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** Make sure no peer outlives this process, however it ends (short of SIGKILL, see pdeathsig). */
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => {
    for (const peer of live) {
      if (peer.child.pid) killGroup(peer.child.pid, 'SIGKILL');
      if (peer.scratch) rmSync(peer.scratch, { recursive: true, force: true });
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      killAll();
      process.off(sig, handler);
      // Let the signal do what it would have done had we not listened (unless someone else listens).
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

const hasSetpriv = (() => {
  let cached: boolean | undefined;
  return () => {
    cached ??=
      spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout?.includes('--pdeathsig') ?? false;
    return cached;
  };
})();

/** Starts a peer in its own process group, keeping its recent output. */
function launch(
  name: string,
  cmd: string,
  args: string[],
  opts: { cwd?: string; env: NodeJS.ProcessEnv; scratch?: string },
): Peer {
  installExitHooks();
  // setpriv --pdeathsig: the kernel kills the peer if this process dies without running its hooks.
  const [file, argv] = hasSetpriv() ? ['setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-32_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let done = false;
  const exited = new Promise<void>((resolve) => {
    const finish = (why: string) => {
      if (done) return;
      done = true;
      keep(Buffer.from(`\n[${name} ${why}]\n`));
      resolve();
    };
    child.once('exit', (code, signal) => finish(`exited with ${signal ?? `code ${code}`}`));
    child.once('error', (err) => finish(`failed to start: ${err.message}`));
  });
  const peer: Peer = {
    name,
    ...(opts.scratch ? { scratch: opts.scratch } : {}),
    child,
    exited,
    hasExited: () => done,
    tail: (lines = 30) =>
      output
        .replace(/\r/g, '\n')
        .split('\n')
        .filter((l) => l.trim())
        .slice(-lines)
        .join('\n'),
    async stop() {
      live.delete(peer);
      const pid = child.pid;
      if (!pid) return;
      killGroup(pid, 'SIGTERM');
      // Up to 5 s for a clean exit of the whole group, then SIGKILL whatever is left.
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && (killGroup(pid, 0) || !done)) {
        await sleep(50);
      }
      killGroup(pid, 'SIGKILL');
      await Promise.race([exited, sleep(2_000)]);
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (opts.scratch) rmSync(opts.scratch, { recursive: true, force: true });
    },
  };
  live.add(peer);
  return peer;
}

/** Polls `url` until it answers 200; fails early, with the peer's last output, if the peer exits. */
async function waitReady(peer: Peer, url: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (peer.hasExited()) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string } }).cause;
      last = cause?.code ?? (err as Error).message;
    }
    await sleep(200);
  }
  const why = peer.hasExited() ? 'exited before it was ready' : `not ready after ${timeoutMs} ms (${last})`;
  await peer.stop();
  throw new Error(`${peer.name} ${why} (${url}); its last output:\n${peer.tail()}`);
}

/** The environment minus what would point a peer at shared state or a proxy outside this machine. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(https?_proxy|all_proxy|no_proxy)$/i.test(key)) delete env[key];
  }
  for (const key of [
    'DATABASE_URL',
    'DIRECT_URL',
    'REDIS_URL',
    'REDIS_HOST',
    'REDIS_PORT',
    'REDIS_PASSWORD',
  ]) {
    delete env[key];
  }
  return env;
}

function checkNodes(nodes: PeerNode[]) {
  if (nodes.length === 0) throw new Error('a peer gateway needs at least one node');
  for (const n of nodes) {
    const u = new URL(n.baseUrl);
    if (!u.hostname.startsWith('127.') && u.hostname !== 'localhost') {
      throw new Error(`peer benchmark nodes are loopback only, not ${n.baseUrl}`);
    }
  }
}

// ---------------------------------------------------------------- LiteLLM

export async function startLitellm(opts: {
  nodes: PeerNode[];
  strategy: 'simple-shuffle' | 'least-busy' | 'latency-based-routing';
}): Promise<PeerGateway> {
  checkNodes(opts.nodes);
  if (!['simple-shuffle', 'least-busy', 'latency-based-routing'].includes(opts.strategy)) {
    throw new Error(`unknown LiteLLM routing strategy ${opts.strategy}`);
  }
  const venv = await ensureLitellm();
  const dir = mkdtempSync(join(tmpdir(), 'broke-litellm-'));
  const masterKey = `sk-broke-bench-${randomBytes(24).toString('hex')}`;
  const uniqueIds = new Set(opts.nodes.map((n) => n.id)).size === opts.nodes.length;
  // YAML is a superset of JSON: the config is written as JSON. Keys checked against litellm 1.106.12
  // (proxy_server.py load_config, router.py Router.__init__).
  const config = {
    model_list: opts.nodes.map((n) => ({
      model_name: GROUP,
      litellm_params: { model: `openai/${n.model}`, api_base: n.baseUrl, api_key: 'none' },
      // The deployment id shows in LiteLLM's x-litellm-model-id response header.
      ...(uniqueIds ? { model_info: { id: n.id } } : {}),
    })),
    // LiteLLM's own retry (num_retries 2) and cooldown defaults are kept: they are its failover,
    // the counterpart of BROKE's. See README.md.
    router_settings: { routing_strategy: opts.strategy },
    litellm_settings: { drop_params: false },
    // LiteLLM refuses to start without a master key (and nothing else but a dev-only override does);
    // a random one per run, sent by clients as their bearer token, as in a real deployment. No
    // database: keys are checked against the master key in memory.
    general_settings: { master_key: masterKey },
  };
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    PYTHONUNBUFFERED: '1',
    // The packaged copies instead of downloads at start-up (model cost map, Anthropic beta headers,
    // blog posts for the UI, policy templates, auto-router presets) ...
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS: 'True',
    LITELLM_LOCAL_BLOG_POSTS: 'True',
    LITELLM_LOCAL_POLICY_TEMPLATES: 'True',
    LITELLM_LOCAL_AUTOROUTER_PRESETS: 'True',
    // ... and should anything still try, its URL is a closed loopback port.
    LITELLM_MODEL_COST_MAP_URL: DEAD_URL,
    LITELLM_ANTHROPIC_BETA_HEADERS_URL: DEAD_URL,
    LITELLM_BLOG_POSTS_URL: DEAD_URL,
    LITELLM_AUTOROUTER_PRESETS_URL: DEAD_URL,
    LITELLM_LOG: process.env.LITELLM_LOG ?? 'WARNING',
  };
  for (const key of ['LITELLM_MASTER_KEY', 'LITELLM_LICENSE', 'LITELLM_CONFIG_BUCKET_NAME']) delete env[key];
  const t0 = performance.now();
  const peer = launch(
    `litellm (${opts.strategy})`,
    join(venv, 'bin/litellm'),
    ['--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'],
    { cwd: dir, env, scratch: dir },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitReady(peer, `${base}/health/readiness`);
  log(`LiteLLM (${opts.strategy}) ready at ${base} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return {
    baseUrl: `${base}/v1`,
    model: GROUP,
    headers: { authorization: `Bearer ${masterKey}` },
    stop: () => peer.stop(),
  };
}

// ---------------------------------------------------------------- Portkey

export async function startPortkey(opts: { nodes: PeerNode[] }): Promise<PeerGateway> {
  checkNodes(opts.nodes);
  const dir = await ensurePortkey();
  const port = await freePort();
  // Load balancing by weight over the nodes; each target rewrites `model` to its node's model id.
  // Keys checked against the gateway 1.15.2 config schema (custom_host, override_params, weight).
  const config = {
    strategy: { mode: 'loadbalance' },
    targets: opts.nodes.map((n) => ({
      provider: 'openai',
      custom_host: n.baseUrl,
      api_key: 'none',
      weight: 1,
      override_params: { model: n.model },
    })),
  };
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    // Custom hosts it may call (these are also its default); nothing else is configured: no Redis
    // cache, no APM logger, no proxy.
    TRUSTED_CUSTOM_HOSTS: '127.0.0.1,localhost',
  };
  for (const key of ['REDIS_CONNECTION_STRING', 'APM_LOGGER', 'PORT']) delete env[key];
  const t0 = performance.now();
  const peer = launch(
    'portkey',
    process.execPath,
    [
      '--import',
      join(dir, 'loopback.mjs'),
      join(dir, 'node_modules/@portkey-ai/gateway/build/start-server.js'),
      `--port=${port}`,
      '--headless',
    ],
    { cwd: dir, env },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitReady(peer, `${base}/`);
  log(`Portkey ready at ${base} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return {
    baseUrl: `${base}/v1`,
    // Ignored upstream (override_params sets each node's model), but clients must send one.
    model: GROUP,
    headers: { 'x-portkey-config': JSON.stringify(config) },
    stop: () => peer.stop(),
  };
}
