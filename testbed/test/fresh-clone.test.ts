import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureVenv, repoRoot } from '../paths.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const mtime = (path: string) => statSync(path).mtimeMs;

/**
 * What a new user does: `git clone`, `bash scripts/setup.sh`, `npx broke-cluster --help` (issue 12).
 *
 * "Cold" and "warm" here, and why (the test must stay well under 3 minutes and never leave loopback):
 * - The clone itself is always cold: no node_modules, no dist/, no .venv. That is where the bin
 *   used to go unlinked (dist/ did not exist when `npm ci` ran) and npx went to the registry.
 * - BROKE_CACHE is a fresh, empty folder, so the models are generated for real. Only the Python venvs
 *   are taken from this machine's cache (linked in under their keys): building them is pip
 *   downloading ~850 MB (main), ~0.7 GB (Ray) and ~5.6 GB (PyTorch) for minutes. Reusing it is exactly the warm-Python-cache case that used to leave the
 *   clone without `.venv`. A cold venv build is what every first `scripts/setup.sh` (CI's too) does.
 * - npm installs from this machine's npm cache in offline mode (`scripts/test.sh` ran setup.sh, so
 *   the cache holds every locked package; nothing reaches the registry) and with install scripts off:
 *   compiling better-sqlite3 takes minutes on two cores and has nothing to do with linking bins.
 * - The second run of setup.sh is the warm case: it must change nothing and still leave a working CLI.
 * The clone is of HEAD: commit before running this test against a change to setup or the bins.
 */
describe('a fresh clone: bash scripts/setup.sh, then npx broke-cluster', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'broke-clone-'));
  const clone = join(tmp, 'broke');
  const cache = join(tmp, 'cache');
  const realLock = join(repoRoot, 'node_modules/.package-lock.json');
  let realLockMtime: number | undefined;
  let venvEntry = '';
  let modelsDir = '';

  // The clone must not see the npm run that started vitest (npm_config_local_prefix etc. would point
  // npm at this checkout), nor a config or cache chosen for this checkout.
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('npm_') && !k.startsWith('BROKE_') && k !== 'INIT_CWD',
    ),
  );
  Object.assign(env, {
    BROKE_CACHE: cache,
    npm_config_offline: 'true',
    npm_config_ignore_scripts: 'true',
    npm_config_update_notifier: 'false',
  });

  const setup = async () => {
    const r = await run('bash', ['scripts/setup.sh'], clone, env, 300_000);
    if (/ENOTCACHED/.test(r.stderr))
      throw new Error(
        "the npm cache (~/.cache/broke/npm) lacks a locked package, and this test installs offline: run `bash scripts/setup.sh` in the checkout first (CI's scripts/test.sh does). npm said: " +
          (r.stderr.split('\n').find((l) => l.includes('request to')) ?? ''),
      );
    return r;
  };
  const npx = (...args: string[]) => run('npx', ['broke-cluster', ...args], clone, env);

  beforeAll(async () => {
    realLockMtime = existsSync(realLock) ? mtime(realLock) : undefined;
    const cloned = await run('git', ['clone', '--quiet', repoRoot, clone], tmp, env);
    expect(cloned.code, cloned.stderr).toBe(0);
    const venv = await ensureVenv();
    mkdirSync(cache);
    venvEntry = join(cache, basename(venv));
    symlinkSync(venv, venvEntry);
    // The node kinds' own venvs (Ray ~0.7 GB, PyTorch ~5.6 GB) are warm caches too, like the main
    // one: their scripts print the cached path at once (they were built by this checkout's setup).
    for (const script of ['scripts/setup-ray.sh', 'scripts/setup-transformers.sh']) {
      const built = await run('bash', [join(repoRoot, script)], repoRoot, process.env, 30 * 60_000);
      expect(built.code, built.stderr).toBe(0);
      const path = built.stdout.trim().split('\n').pop() ?? '';
      symlinkSync(path, join(cache, basename(path)));
    }
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('first run: links the bin at install time, links .venv, generates the models, builds', async () => {
    expect(existsSync(join(clone, 'node_modules'))).toBe(false);
    const r = await setup();
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(readlinkSync(join(clone, 'node_modules/.bin/broke-cluster'))).toBe(
      '../@broke/core/bin/broke-cluster.js',
    );
    expect(readlinkSync(join(clone, '.venv'))).toBe(venvEntry);
    expect(existsSync(join(clone, '.venv/bin/python'))).toBe(true);
    modelsDir = /^models: (.+)$/m.exec(r.stderr)?.[1] ?? '';
    expect(modelsDir.startsWith(join(cache, 'models'))).toBe(true);
    expect(existsSync(join(modelsDir, '.complete'))).toBe(true);
    expect(existsSync(join(modelsDir, 'tiny/config.json'))).toBe(true);

    const help = await npx('--help');
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: broke-cluster/);
    expect(help.stdout).toMatch(/scan-models/);
    const exec = await run('npm', ['exec', 'broke-cluster', '--', 'init', '--help'], clone, env);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout).toMatch(/^Usage: broke-cluster init/);
  });

  it('second run (warm): installs and generates nothing, restores a removed .venv link', async () => {
    const installed = mtime(join(clone, 'node_modules/.package-lock.json'));
    const generated = mtime(join(modelsDir, '.complete'));
    rmSync(join(clone, '.venv'));
    const r = await setup();
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(mtime(join(clone, 'node_modules/.package-lock.json'))).toBe(installed);
    expect(mtime(join(modelsDir, '.complete'))).toBe(generated);
    expect(readlinkSync(join(clone, '.venv'))).toBe(venvEntry);
    const help = await npx('--help');
    expect(help.code, help.stderr).toBe(0);
  });

  it('the bin says how to build when dist/ is missing, on one line, exit 1', async () => {
    const dist = join(clone, 'packages/core/dist');
    renameSync(dist, `${dist}.off`);
    try {
      const r = await npx('--help');
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^error: broke-cluster is not built yet \(run `npm run build`.*setup\.sh`\)\n$/,
      );
    } finally {
      renameSync(`${dist}.off`, dist);
    }
  });

  it("never touched this checkout's node_modules", () => {
    if (realLockMtime === undefined) expect(existsSync(realLock)).toBe(false);
    else expect(mtime(realLock)).toBe(realLockMtime);
  });
});
