import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { endsWithThisProcess } from './on-process-end.js';
import { cacheDir, ensureModel, ensureVenv } from './paths.js';
import { freePort, GiveUp, PORT_TAKEN, startOnPickedPorts, waitFor } from './ports.js';

export interface MlxNodeOptions {
  /** Generated model name: `tiny`, `mini`, `medium`, `small` (random, growing in size), or a scripted model from testbed/models.json. */
  model?: string;
  /** Any 127.0.0.x address; the test bed never binds anything but loopback. */
  host?: string;
  port?: number;
  /** Extra `mlx_lm.server` flags. */
  args?: string[];
}

/** A real `mlx_lm.server` process serving a generated model on loopback. */
export interface MlxNode {
  url: string;
  host: string;
  port: number;
  modelPath: string;
  modelName: string;
  pid: number;
  /** What the server printed, for failure messages. */
  log(): string;
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  restart(): Promise<void>;
}

/** Environment that keeps the Hugging Face stack offline: nothing is ever downloaded. */
export function offlineEnv(): NodeJS.ProcessEnv {
  // mlx_lm.server's /v1/models scans the HF cache and fails when its folder is missing.
  mkdirSync(join(cacheDir, 'hf-home', 'hub'), { recursive: true });
  return {
    ...process.env,
    HF_HUB_OFFLINE: '1',
    TRANSFORMERS_OFFLINE: '1',
    HF_HUB_DISABLE_TELEMETRY: '1',
    HF_HOME: join(cacheDir, 'hf-home'),
    PYTHONUNBUFFERED: '1',
  };
}

export async function startMlxNode(options: MlxNodeOptions = {}): Promise<MlxNode> {
  const host = options.host ?? '127.0.0.1';
  if (!host.startsWith('127.')) throw new Error(`test nodes bind loopback only, not ${host}`);
  const modelName = options.model ?? 'tiny';
  const [venv, modelPath] = await Promise.all([ensureVenv(), ensureModel(modelName)]);
  let port = options.port ?? 0;
  let url = `http://${host}:${port}`;
  let output = '';
  let child: ChildProcess | undefined;

  const launch = async () => {
    output = '';
    const proc = spawn(
      join(venv, 'bin/mlx_lm.server'),
      ['--model', modelPath, '--host', host, '--port', String(port), ...(options.args ?? [])],
      { env: offlineEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    endsWithThisProcess(proc);
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    let exited = false;
    proc.once('exit', () => {
      exited = true;
    });
    try {
      await waitFor(
        async () => {
          if (exited) throw new GiveUp('mlx_lm.server exited early');
          // A failed start does not always exit: mlx_lm.server's generation thread outlives the
          // traceback of a bind that failed (Address already in use), and it never serves.
          if (output.includes('Traceback (most recent call last)'))
            throw new GiveUp('mlx_lm.server failed to start');
          // Bounded: whatever holds the port may accept and never answer.
          const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
          return res.ok;
        },
        `mlx_lm.server on ${url}`,
        120_000,
        150,
      );
    } catch (error) {
      proc.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n--- server output ---\n${output}`);
    }
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  if (options.port !== undefined) await launch();
  else
    await startOnPickedPorts(
      async () => {
        port = await freePort(host);
        url = `http://${host}:${port}`;
        await launch();
      },
      () => PORT_TAKEN.test(output),
    );
  return {
    url,
    host,
    port,
    modelPath,
    modelName,
    get pid() {
      return child?.pid ?? -1;
    },
    log: () => output,
    stop,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => {
      child?.kill(signal);
    },
    restart: async () => {
      await stop();
      await launch();
    },
  };
}
