import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { offlineEnv } from './mlx-node.js';
import { onProcessEnd } from './on-process-end.js';
import { repoRoot } from './paths.js';
import { freePort, GiveUp, PORT_TAKEN, startOnPickedPorts, waitFor } from './ports.js';

const run = promisify(execFile);

let rayVenvPromise: Promise<string> | undefined;

/** Creates (once per process, and once per pin hash on the machine) the Ray Serve venv. */
export function ensureRayVenv(): Promise<string> {
  rayVenvPromise ??= run('bash', [join(repoRoot, 'scripts/setup-ray.sh')], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 30 * 60_000,
  }).then(({ stdout }) => stdout.trim().split('\n').pop() ?? '');
  return rayVenvPromise;
}

/** One Serve application of examples/rayserve/app.py, as the Serve REST API takes it. */
export interface RayServeApp {
  name: string;
  modelPath: string;
  servedName: string;
  replicas: number;
  maxOngoingRequests: number;
}

/** A real single-node Ray cluster on loopback, with Serve's HTTP proxy and the dashboard. */
export interface RayCluster {
  /** Serve's HTTP proxy (chat goes here). */
  serveUrl: string;
  /** Ray dashboard: the Serve REST API. */
  dashboardUrl: string;
  /** Ray's Prometheus metrics export. */
  metricsUrl: string;
  /** Deploys (or re-configures: replicas, concurrency) the example app through the REST API. */
  deploy(app: RayServeApp): Promise<void>;
  /** Resolves when the app's deployment has `replicas` running replicas. */
  waitForReplicas(app: string, replicas: number, timeoutMs?: number): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

// Until stop(): Ray's daemons outlive the `ray start` child, so its whole group is killed.
const running = new Set<ChildProcess>();
onProcessEnd(() => {
  for (const child of running) if (child.pid) killGroup(child.pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * `ray start --head --block` in a process group of its own, bounded (2 CPUs, 100 MB object store,
 * a temp dir of its own), every port picked free on 127.0.0.1 and Ray told to stay on loopback
 * (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0: single-node mode, so it never advertises the machine's
 * own interface). stop() ends that process group only, never other Ray clusters on the machine.
 */
export async function startRayCluster(
  options: { cpus?: number; timeoutMs?: number } = {},
): Promise<RayCluster> {
  const venv = await ensureRayVenv();
  return startOnPickedPorts(
    () => startRayOnce(venv, options),
    (error) => PORT_TAKEN.test((error as Error).message),
  );
}

/** One `ray start` on ports picked now; a failed one is stopped and its output is in the error. */
async function startRayOnce(
  venv: string,
  options: { cpus?: number; timeoutMs?: number },
): Promise<RayCluster> {
  const host = '127.0.0.1';
  const [gcs, dashboard, client, agent, agentGrpc, metrics, runtimeEnv, nodeManager, objectManager, serve] =
    await Promise.all(Array.from({ length: 10 }, () => freePort(host)));
  // Short: Ray puts unix sockets under it (107-byte path limit; its session folder and socket
  // names take ~62 bytes), and tmpdir() is itself a folder below /tmp in a test run.
  const tempDir = mkdtempSync(join(tmpdir(), 'ray-'));
  const dashboardUrl = `http://${host}:${dashboard}`;
  let output = '';
  const child = spawn(
    join(venv, 'bin/ray'),
    [
      'start',
      '--head',
      '--block',
      '--node-ip-address',
      host,
      '--port',
      String(gcs),
      '--num-cpus',
      String(options.cpus ?? 2),
      '--num-gpus',
      '0',
      '--object-store-memory',
      String(100 * 1024 * 1024),
      '--include-dashboard',
      'true',
      '--dashboard-host',
      host,
      '--dashboard-port',
      String(dashboard),
      '--ray-client-server-port',
      String(client),
      '--dashboard-agent-listen-port',
      String(agent),
      '--dashboard-agent-grpc-port',
      String(agentGrpc),
      '--metrics-export-port',
      String(metrics),
      '--runtime-env-agent-port',
      String(runtimeEnv),
      '--node-manager-port',
      String(nodeManager),
      '--object-manager-port',
      String(objectManager),
      '--temp-dir',
      tempDir,
      '--disable-usage-stats',
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...offlineEnv(),
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER: '0',
        RAY_USAGE_STATS_ENABLED: '0',
        // Replicas import examples/rayserve/app.py as `app`.
        PYTHONPATH: join(repoRoot, 'examples/rayserve'),
      },
    },
  );
  running.add(child);
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const stop = async () => {
    if (child.pid && !exited) {
      // `ray start --block` stops what it started on SIGTERM (raylet first, which ends its workers).
      child.kill('SIGTERM');
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      const timer = setTimeout(() => child.pid && killGroup(child.pid, 'SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    }
    // Workers and agents may outlive `ray start`; they share its process group.
    if (child.pid) killGroup(child.pid, 'SIGKILL');
    running.delete(child);
    rmSync(tempDir, { recursive: true, force: true });
  };

  const applications = async () => {
    // Bounded: whatever holds the port may accept and never answer.
    const res = await fetch(`${dashboardUrl}/api/serve/applications/`, {
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`Serve API answered ${res.status}`);
    return (await res.json()) as {
      applications: Record<
        string,
        { status: string; deployments: Record<string, { replicas?: { state: string }[] }> }
      >;
    };
  };

  try {
    await waitFor(
      async () => {
        if (exited) throw new GiveUp('ray start exited');
        await applications();
        return true;
      },
      "Ray's dashboard and Serve API",
      options.timeoutMs ?? 120_000,
      250,
    );
  } catch (err) {
    const log = output;
    await stop();
    throw new Error(`Ray did not start: ${(err as Error).message}\n${log}`);
  }

  return {
    serveUrl: `http://${host}:${serve}`,
    dashboardUrl,
    metricsUrl: `http://${host}:${metrics}/metrics`,
    async deploy(app) {
      const body = {
        http_options: { host, port: serve },
        applications: [
          {
            name: app.name,
            route_prefix: '/',
            import_path: 'app:build',
            args: { model: app.modelPath, served_name: app.servedName },
            deployments: [
              { name: 'MlxChat', num_replicas: app.replicas, max_ongoing_requests: app.maxOngoingRequests },
            ],
          },
        ],
      };
      const res = await put(`${dashboardUrl}/api/serve/applications/`, JSON.stringify(body));
      if (res.status !== 200) throw new Error(`deploying ${app.name} answered ${res.status}: ${res.text}`);
    },
    async waitForReplicas(app, replicas, timeoutMs = 120_000) {
      await waitFor(
        async () => {
          const a = (await applications()).applications[app];
          if (a?.status === 'DEPLOY_FAILED') throw new GiveUp(`${app} failed to deploy`);
          const states = Object.values(a?.deployments ?? {}).flatMap((d) => d.replicas ?? []);
          return states.filter((r) => r.state === 'RUNNING').length === replicas;
        },
        `${replicas} running replica(s) of ${app}`,
        timeoutMs,
        250,
      );
    },
    log: () => output,
    stop,
  };
}

/**
 * A PUT through node:http: Ray's dashboard refuses writes that look like browser traffic, and
 * fetch always sends the `sec-fetch-mode` header it looks for.
 */
function put(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolvePut, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolvePut({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
