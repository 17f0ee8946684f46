import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../../../testbed/index.js';
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
