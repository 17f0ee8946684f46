import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ensureVenv, freePort, type MlxNode, offlineEnv, startMlxNode } from '../../../../testbed/index.js';
import { type Sshd, startSshd } from '../../../../testbed/sshd.js';
import { cli, ensureBuilt } from './helpers.js';

// `server status|stop` over a real loopback sshd when the pid file cannot be trusted: status says
// "stale pid file", stop exits 1 with one line and signals nothing. (The "remote" home is ours.)
describe('broke-cluster server stop/status with a pid file that is not ours', () => {
  let sshd: Sshd;
  const dir = mkdtempSync(join(tmpdir(), 'broke-cli-server-'));
  const cfg = join(dir, 'broke.yaml');
  const id = `cli-stale-${process.pid}`;
  const runDir = join(homedir(), '.broke', 'run');
  const pidPath = join(runDir, `${id}.pid`);
  const sentinel = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  sentinel.unref();
  const alive = () => {
    try {
      process.kill(sentinel.pid as number, 0);
      return !execFileSync('ps', ['-o', 'stat=', '-p', String(sentinel.pid)])
        .toString()
        .startsWith('Z');
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    ensureBuilt();
    sshd = await startSshd();
    const port = await freePort();
    writeFileSync(
      cfg,
      stringify({
        nodes: [
          {
            id,
            url: `http://127.0.0.1:${port}`,
            ssh: {
              host: sshd.host,
              port: sshd.port,
              user: sshd.user,
              privateKeyPath: sshd.privateKeyPath,
              hostKeyFingerprint: sshd.hostKeyFingerprint,
            },
          },
        ],
      }),
    );
    mkdirSync(runDir, { recursive: true });
  });
  afterAll(async () => {
    sentinel.kill();
    rmSync(pidPath, { force: true });
    await sshd?.stop();
  });

  it.each([
    ['1', /holds "1", not a process id above 1/],
    ['-1', /holds "-1", not a process id above 1/],
    ['a live process BROKE did not start', /pid \d+ is alive but there is no record/],
  ])('pid file holding %s: status says stale, stop refuses and kills nothing', async (what, reason) => {
    writeFileSync(pidPath, `${what.startsWith('a live') ? sentinel.pid : what}\n`);
    const status = await cli(['-c', cfg, 'server', 'status', id]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/stale pid file/);
    expect(status.stdout).toMatch(reason);
    expect(status.stdout).not.toMatch(/running \(pid/);
    const json = await cli(['-c', cfg, '--json', 'server', 'status', id]);
    expect(JSON.parse(json.stdout)).toMatchObject({ running: false, state: 'stale' });

    const stop = await cli(['-c', cfg, 'server', 'stop', id]);
    expect(stop.code).toBe(1);
    const lines = stop.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: refusing to signal/);
    expect(lines[0]).toMatch(reason);
    expect(lines[0]).toContain(`remove ~/.broke/run/${id}.pid`);
    expect(alive()).toBe(true);
  });
});

function oneLine(r: { stderr: string }): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0] as string;
}

// `server start` proves that the process it started is the one serving its port: a port another
// server already holds (it would answer /health in our place) is refused before anything runs, and
// a second start of a running server says so. Real sshd, real mlx_lm.server processes.
describe('broke-cluster server start: proof of the serving process', () => {
  let sshd: Sshd;
  let other: MlxNode;
  let venv: string;
  const dir = mkdtempSync(join(tmpdir(), 'broke-cli-start-'));
  const runDir = join(homedir(), '.broke', 'run');
  const config = (id: string, port: number) => {
    const path = join(dir, `${id}.yaml`);
    writeFileSync(
      path,
      stringify({
        nodes: [
          {
            id,
            url: `http://127.0.0.1:${port}`,
            models: [{ id: 'tiny', path: other.modelPath }],
            ssh: {
              host: sshd.host,
              port: sshd.port,
              user: sshd.user,
              privateKeyPath: sshd.privateKeyPath,
              hostKeyFingerprint: sshd.hostKeyFingerprint,
            },
          },
        ],
      }),
    );
    return path;
  };
  const command = () =>
    JSON.stringify([
      `${venv}/bin/mlx_lm.server`,
      '--model',
      '{model}',
      '--host',
      '{host}',
      '--port',
      '{port}',
    ]);
  const env = () => ['--env', 'HF_HUB_OFFLINE=1', '--env', `HF_HOME=${offlineEnv().HF_HOME}`];

  beforeAll(async () => {
    ensureBuilt();
    [sshd, other, venv] = await Promise.all([startSshd(), startMlxNode({ model: 'tiny' }), ensureVenv()]);
  });
  afterAll(async () => {
    await Promise.all([sshd?.stop(), other?.stop()]);
  });

  it('refuses a port another server holds, names its pid, starts nothing', async () => {
    const id = `cli-held-${process.pid}`;
    const cfg = config(id, other.port);
    const r = await cli(['-c', cfg, 'server', 'start', id, '--command', command(), ...env()]);
    expect(r.code, r.stderr).toBe(1);
    const line = oneLine(r);
    expect(line).toMatch(
      new RegExp(
        `^error: port ${other.port} on 127\\.0\\.0\\.1 is already held by pid ${other.pid} \\(.*mlx_lm\\.server.*\\), not by a server BROKE started`,
      ),
    );
    expect(r.stdout).not.toMatch(/started/);
    expect(existsSync(join(runDir, `${id}.pid`))).toBe(false);
    // The other server was left alone.
    expect((await fetch(`${other.url}/health`)).ok).toBe(true);
  });

  it('starts a real server with progress, then a second start says it is already running', async () => {
    const id = `cli-start-${process.pid}`;
    const port = await freePort();
    const cfg = config(id, port);
    const start = await cli(['-c', cfg, 'server', 'start', id, '--command', command(), ...env()]);
    try {
      expect(start.code, start.stderr).toBe(0);
      expect(start.stdout).toMatch(new RegExp(`started ${id} \\(pid \\d+, serving its port\\)`));
      expect(start.stderr).toMatch(
        new RegExp(`${id}: pid \\d+ started \\d+ s ago, waiting for http://127\\.0\\.0\\.1:${port}/health`),
      );
      const again = await cli(['-c', cfg, 'server', 'start', id, '--command', command(), ...env()]);
      expect(again.code, again.stderr).toBe(1);
      expect(oneLine(again)).toMatch(
        new RegExp(
          `^error: "${id}" is already running \\(pid \\d+\\) \\(\`broke-cluster server restart ${id}\``,
        ),
      );
      expect((await fetch(`http://127.0.0.1:${port}/health`)).ok).toBe(true);
    } finally {
      const stop = await cli(['-c', cfg, 'server', 'stop', id]);
      expect(stop.code, stop.stderr).toBe(0);
      rmSync(join(homedir(), `.broke/logs/${id}.log`), { force: true });
    }
  });
});
