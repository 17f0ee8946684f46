import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureVenv, repoRoot } from '../../../../../testbed/index.js';

/** Environment for the Python frameworks: offline, no telemetry, dummy key. */
export function frameworkEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    OPENAI_API_KEY: 'sk-dummy-offline',
    CREWAI_DISABLE_TELEMETRY: 'true',
    CREWAI_DISABLE_TRACKING: 'true',
    CREWAI_TRACING_ENABLED: 'false',
    OTEL_SDK_DISABLED: 'true',
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    HF_HUB_OFFLINE: '1',
    // Nothing but loopback: a proxy variable inherited from the machine must not apply.
    NO_PROXY: '127.0.0.1,localhost',
    PYTHONUNBUFFERED: '1',
    ...extra,
  };
}

export interface PyResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | undefined;
}

/** Runs a Python script from the repo with the project venv; the last stdout line is JSON. */
export async function runPython(
  script: string,
  env: Record<string, string>,
  timeoutMs = 240_000,
): Promise<PyResult> {
  const venv = await ensureVenv();
  return new Promise((resolve) => {
    const child = spawn(join(venv, 'bin/python'), [join(repoRoot, script)], {
      cwd: join(repoRoot, script, '..'),
      env: frameworkEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(last);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}
