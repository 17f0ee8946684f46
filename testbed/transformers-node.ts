import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { offlineEnv } from './mlx-node.js';
import { endsWithThisProcess } from './on-process-end.js';
import { ensureModel, repoRoot } from './paths.js';
import { freePort, GiveUp, PORT_TAKEN, startOnPickedPorts, waitFor } from './ports.js';

const run = promisify(execFile);

let venvPromise: Promise<string> | undefined;

/**
 * The venv with `transformers serve` and PyTorch (scripts/setup-transformers.sh): its own, keyed by
 * its pins, never the main venv. First build ~1 min and ~5.6 GB on Linux (torch's CUDA libraries).
 */
export function ensureTransformersVenv(): Promise<string> {
  venvPromise ??= run('bash', [join(repoRoot, 'scripts/setup-transformers.sh')], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 30 * 60_000,
  }).then(({ stdout }) => stdout.trim().split('\n').pop() ?? '');
  return venvPromise;
}

/** A real `transformers serve` on loopback, CPU, pinned to one generated model (by its path). */
export interface TransformersNode {
  url: string;
  modelPath: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startTransformersNode(options: { model?: string } = {}): Promise<TransformersNode> {
  const [venv, modelPath] = await Promise.all([
    ensureTransformersVenv(),
    ensureModel(options.model ?? 'hello'),
  ]);
  return startOnPickedPorts(
    async () => serveOn(venv, modelPath, await freePort('127.0.0.1')),
    (error) => PORT_TAKEN.test((error as Error).message),
  );
}

/** One `transformers serve` start on `port`; a failed one is killed and its output is in the error. */
async function serveOn(venv: string, modelPath: string, port: number): Promise<TransformersNode> {
  const host = '127.0.0.1';
  const url = `http://${host}:${port}`;
  let output = '';
  const proc: ChildProcess = spawn(
    join(venv, 'bin/transformers'),
    ['serve', '--host', host, '--port', String(port), '--device', 'cpu', modelPath],
    { env: offlineEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const kill = () => proc.kill('SIGKILL');
  endsWithThisProcess(proc);
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const closed = new Promise<void>((r) => proc.once('close', () => r()));
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new GiveUp('transformers serve exited early');
        return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
      },
      `transformers serve on ${url}`,
      120_000,
      200,
    );
  } catch (error) {
    kill();
    // Its last words (the reason it exited) may still be in the pipe: read to the end first.
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]);
    throw new Error(`${(error as Error).message}\n--- server output ---\n${output}`);
  }
  return {
    url,
    modelPath,
    log: () => output,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(kill, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
