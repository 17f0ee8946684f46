import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Repository root (testbed/ lives directly under it). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Reusable caches (venv, pip, npm, generated models) live here, never inside the clone. */
export const cacheDir = process.env.BROKE_CACHE ?? join(homedir(), '.cache', 'broke');

let venvPromise: Promise<string> | undefined;

/** Creates (once per process, and once per requirements hash on the machine) the Python venv. */
export function ensureVenv(): Promise<string> {
  venvPromise ??= run('bash', [join(repoRoot, 'scripts/setup-python.sh')], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 30 * 60_000,
  }).then(({ stdout }) => stdout.trim().split('\n').pop() ?? '');
  return venvPromise;
}

let modelsDirCache: string | undefined;

/**
 * The generated models live in a folder keyed by the hash of everything that shapes their bytes.
 * The generator owns that key (scripts/setup.sh asks it too), so we ask it rather than hash here;
 * once per process. Its --print-cache-dir mode needs only the standard library, so the system
 * python3 does when the venv is not set up yet.
 */
export function modelsDir(): string {
  if (modelsDirCache) return modelsDirCache;
  const venvPython = join(repoRoot, '.venv/bin/python');
  const python = existsSync(venvPython) ? venvPython : 'python3';
  modelsDirCache = execFileSync(
    python,
    [join(repoRoot, 'scripts/gen_tiny_model.py'), '--print-cache-dir', cacheDir],
    { encoding: 'utf8', timeout: 60_000 },
  ).trim();
  return modelsDirCache;
}

const modelPromises = new Map<string, Promise<string>>();

/** Folder of a generated test model (`tiny`, `mini`, `medium`, `small`, or a scripted one from testbed/models.json). */
export function ensureModel(name: string): Promise<string> {
  let promise = modelPromises.get(name);
  if (!promise) {
    promise = (async () => {
      const dir = join(modelsDir(), name);
      if (existsSync(join(dir, 'config.json'))) return dir;
      const venv = await ensureVenv();
      await run(
        join(venv, 'bin/python'),
        [join(repoRoot, 'scripts/gen_tiny_model.py'), '--out', modelsDir(), name],
        {
          timeout: 10 * 60_000,
        },
      );
      return dir;
    })();
    modelPromises.set(name, promise);
  }
  return promise;
}
