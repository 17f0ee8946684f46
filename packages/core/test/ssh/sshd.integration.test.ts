import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModel, ensureVenv, freePort, offlineEnv } from '../../../../testbed/index.js';
import { type Sshd, startSshd } from '../../../../testbed/sshd.js';
import { BrokeError } from '../../src/errors.js';
import { SshConnection, type SshTarget } from '../../src/ssh/connection.js';
import { HostKeyError, SshError } from '../../src/ssh/errors.js';
import { probeHardware } from '../../src/ssh/hardware.js';
import { listModelsOnDisk } from '../../src/ssh/models-on-disk.js';
import { SshPool } from '../../src/ssh/pool.js';
import { serverStatus, startServer, stopServer, tailLog } from '../../src/ssh/server-control.js';

/** A process started over SSH that nothing may kill: `sleep 300`, detached. Returns its pid. */
async function startSentinel(conn: SshConnection): Promise<number> {
  const out = await conn.check(['sh', '-c', 'nohup sleep 300 > /dev/null 2>&1 < /dev/null & echo $!']);
  return Number(out.trim());
}

/** Alive and not a zombie (the container may have no reaping init). */
async function remoteAlive(conn: SshConnection, pid: number): Promise<boolean> {
  const r = await conn.run(['sh', '-c', 'kill -0 "$1" && ps -o stat= -p "$1"', 'sh', String(pid)]);
  return r.code === 0 && !r.stdout.trim().startsWith('Z');
}

/** Write a file under ~/.broke/run on the "node" (text via stdin, never through the shell). */
async function writeRun(conn: SshConnection, file: string, text: string): Promise<void> {
  await conn.check(['sh', '-c', 'mkdir -p .broke/run && cat > ".broke/run/$1"', 'sh', file], { stdin: text });
}

// Integration: a real OpenSSH server on 127.0.0.1 (testbed/sshd.ts); the "remote" host is this machine.
describe('SSH against a real loopback sshd', () => {
  let sshd: Sshd;
  let target: SshTarget;
  const tmp = mkdtempSync(join(tmpdir(), 'broke-ssh-test-'));
  const pool = new SshPool();
  // Pid files live in the shared ~/.broke/run: names unique to this run.
  const JUNK = `pid-junk-${process.pid}`;
  const STALE = `pid-stale-${process.pid}`;

  beforeAll(async () => {
    sshd = await startSshd();
    target = {
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      privateKeyPath: sshd.privateKeyPath,
      hostKeyFingerprint: sshd.hostKeyFingerprint,
    };
  });
  afterAll(async () => {
    // The "remote" home is ours: remove the logs the server tests left in ~/.broke/logs.
    if (target)
      await pool
        .run(target, [
          'rm',
          '-f',
          '.broke/logs/hostile.log',
          '.broke/logs/ssh-tiny.log',
          `.broke/run/${JUNK}.pid`,
          `.broke/run/${STALE}.pid`,
          `.broke/run/${STALE}.json`,
        ])
        .catch(() => undefined);
    await pool.closeAll();
    await sshd?.stop();
  });

  it('refuses an unknown host key with a typed error and a hint', async () => {
    const kh = join(tmp, 'empty_known_hosts');
    writeFileSync(kh, '');
    const err = await SshConnection.connect({
      ...target,
      hostKeyFingerprint: undefined,
      knownHostsPath: kh,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err.code).toBe('host_key_unknown');
    expect(err.toLine()).toContain(sshd.hostKeyFingerprint);
  });

  it('refuses a wrong pinned fingerprint', async () => {
    const err = await SshConnection.connect({
      ...target,
      hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    }).catch((e) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err.code).toBe('host_key_mismatch');
  });

  it('accepts the pinned key and a known_hosts line; TOFU records it', async () => {
    const conn = await SshConnection.connect(target);
    expect((await conn.run(['echo', 'pinned ok'])).stdout.trim()).toBe('pinned ok');
    conn.close();
    const kh = join(tmp, 'known_hosts');
    writeFileSync(kh, `${sshd.knownHostsLine}\n`);
    const c2 = await SshConnection.connect({ ...target, hostKeyFingerprint: undefined, knownHostsPath: kh });
    c2.close();
    const tofu = join(tmp, 'tofu_known_hosts');
    const c3 = await SshConnection.connect({
      ...target,
      hostKeyFingerprint: undefined,
      knownHostsPath: tofu,
      trustOnFirstUse: true,
    });
    c3.close();
    expect(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', tofu]).toString()).toContain(
      'ssh-ed25519',
    );
  });

  it('reports a wrong client key and an unreachable port clearly', async () => {
    const other = join(tmp, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const auth = await SshConnection.connect({ ...target, privateKeyPath: other }).catch((e) => e);
    expect(auth).toBeInstanceOf(SshError);
    expect(auth.code).toBe('ssh_auth_failed');
    const port = await freePort();
    const down = await SshConnection.connect({ ...target, port }).catch((e) => e);
    expect(down.code).toBe('ssh_unreachable');
    const missing = await SshConnection.connect({ ...target, privateKeyPath: join(tmp, 'nope') }).catch(
      (e) => e,
    );
    expect(missing.code).toBe('ssh_key_missing');
  });

  it('pools connections and reconnects after a drop', async () => {
    const a = await pool.get(target);
    expect(await pool.get(target)).toBe(a);
    a.close();
    const r = await pool.run(target, ['echo', 'again']);
    expect(r.stdout.trim()).toBe('again');
    expect(await pool.get(target)).not.toBe(a);
  });

  it('times out a hanging remote command', async () => {
    const conn = await pool.get(target);
    const err = await conn.run(['sleep', '5'], { timeoutMs: 300 }).catch((e) => e);
    expect(err.code).toBe('ssh_timeout');
  });

  it("probes this machine's hardware", async () => {
    const hw = await probeHardware(await pool.get(target));
    expect(hw.os).toBe('linux');
    expect(hw.cores).toBeGreaterThan(0);
    expect(hw.memoryGb).toBeGreaterThan(0);
  });

  it('lists generated MLX models in a configured folder', async () => {
    const dir = await ensureModel('tiny');
    const models = await listModelsOnDisk(await pool.get(target), [dirname(dir)]);
    const tiny = models.find((m) => m.path === dir);
    expect(tiny).toMatchObject({ name: 'tiny', source: 'dir', toolCalling: true });
    expect(tiny?.sizeBytes).toBeGreaterThan(0);
    expect(tiny?.contextLength).toBeGreaterThan(0);
  });

  it('runs nothing from a hostile model name (x; touch PWNED)', async () => {
    const pwned = join(tmp, `pwned-${process.pid}`);
    const hostile = `x; touch ${pwned}`;
    const conn = await pool.get(target);
    // The "server" is /bin/echo, so its log shows exactly the argument it received.
    await startServer(conn, {
      name: 'hostile',
      model: hostile,
      port: 1,
      command: ['/bin/sh', '-c', 'echo "$1"; sleep 30', 'sh', '{model}'],
      healthUrl: 'http://127.0.0.1:1/health',
      readyTimeoutMs: 1500,
    }).catch(() => undefined);
    await stopServer(conn, 'hostile');
    expect(await tailLog(conn, 'hostile')).toContain(hostile);
    await listModelsOnDisk(conn, [hostile, `$(touch ${pwned})`, `\`touch ${pwned}\``]);
    await conn.run(['ls', hostile, `$(touch ${pwned})`]);
    expect(existsSync(pwned)).toBe(false);
  });

  it('never signals a pid file holding -1, 0, 1 or junk', async () => {
    const conn = await pool.get(target);
    const sentinel = await startSentinel(conn);
    try {
      for (const text of ['-1', '0', '1', 'abc', '']) {
        await writeRun(conn, `${JUNK}.pid`, `${text}\n`);
        const status = await serverStatus(conn, JUNK);
        expect(status, text).toMatchObject({ running: false, state: 'stale', pid: 0 });
        expect(status.reason).toContain(`holds ${JSON.stringify(text)}`);
        const err = await stopServer(conn, JUNK).catch((e) => e);
        expect(err).toBeInstanceOf(BrokeError);
        expect(err.code).toBe('pid_not_ours');
        expect(err.toLine()).toMatch(
          /refusing to signal .*not a process id above 1.*remove ~\/\.broke\/run\//,
        );
        expect(await remoteAlive(conn, sentinel)).toBe(true);
      }
      // The pid file is left for a person to look at.
      expect((await conn.run(['cat', `.broke/run/${JUNK}.pid`])).stdout).toBe('\n');
    } finally {
      await conn.run(['kill', String(sentinel)]);
      await conn.run(['rm', '-f', `.broke/run/${JUNK}.pid`]);
    }
  });

  it('never signals a stale pid that now belongs to another process', async () => {
    const conn = await pool.get(target);
    const sentinel = await startSentinel(conn);
    const port = await freePort();
    const record = (argv: string[]) =>
      `${JSON.stringify({ version: 1, argv, port, startedAt: new Date().toISOString() })}\n`;
    const refused = async (reason: RegExp) => {
      const status = await serverStatus(conn, STALE);
      expect(status).toMatchObject({ running: false, state: 'stale', pid: sentinel });
      expect(status.reason).toMatch(reason);
      const err = await stopServer(conn, STALE).catch((e) => e);
      expect(err.code).toBe('pid_not_ours');
      expect(err.message).toContain(`(pid ${sentinel})`);
      expect(await remoteAlive(conn, sentinel)).toBe(true);
    };
    let holder: Server | undefined;
    try {
      await writeRun(conn, `${STALE}.pid`, `${sentinel}\n`);
      // Started by hand or by an older BROKE: no launch record.
      await refused(/no record of the command BROKE started/);
      // After a reboot the pid was reused by something else.
      const mlx = ['mlx_lm.server', '--model', '/m', '--host', '127.0.0.1', '--port', String(port)];
      await writeRun(conn, `${STALE}.json`, record(mlx));
      await refused(/runs "sleep 300", not "mlx_lm\.server --model/);
      // Same command line, but another process owns the port (checked where lsof exists).
      await writeRun(conn, `${STALE}.json`, record(['sleep', '300']));
      const hasLsof = (await conn.run(['sh', '-c', 'command -v lsof'])).code === 0;
      if (hasLsof) {
        const server = createServer();
        holder = server;
        await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
        await refused(new RegExp(`port ${port} is held by pid ${process.pid}, not ${sentinel}`));
        await new Promise((r) => server.close(r));
        holder = undefined;
      }
      // Proven (recorded command line, nobody else on the port): then, and only then, stop signals.
      const status = await serverStatus(conn, STALE);
      expect(status).toMatchObject({ running: true, state: 'running', pid: sentinel });
      if (!hasLsof) expect(status.note).toMatch(/lsof not found/);
      await stopServer(conn, STALE);
      expect(await remoteAlive(conn, sentinel)).toBe(false);
      expect((await serverStatus(conn, STALE)).state).toBe('stopped');
    } finally {
      holder?.close();
      await conn.run(['kill', String(sentinel)]);
      await conn.run(['rm', '-f', `.broke/run/${STALE}.pid`, `.broke/run/${STALE}.json`]);
    }
  });

  it('starts, reports and stops a real mlx_lm.server over SSH', async () => {
    const [venv, model] = await Promise.all([ensureVenv(), ensureModel('tiny')]);
    const port = await freePort();
    const conn = await pool.get(target);
    const env = offlineEnv();
    const info = await startServer(conn, {
      name: 'ssh-tiny',
      model,
      port,
      command: [`${venv}/bin/mlx_lm.server`, '--model', '{model}', '--host', '{host}', '--port', '{port}'],
      env: { HF_HUB_OFFLINE: '1', HF_HOME: env.HF_HOME ?? '' },
      readyTimeoutMs: 120_000,
    });
    try {
      expect(info.running).toBe(true);
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await res.json()).toEqual({ status: 'ok' });
      const status = await serverStatus(conn, 'ssh-tiny');
      expect(status).toMatchObject({ running: true, state: 'running', pid: info.pid });
      expect(status.reason).toBeUndefined();
      // Proven by its command line and, where lsof exists, as the owner of the port.
      if (status.note !== undefined) expect(status.note).toMatch(/lsof not found/);
      const again = await startServer(conn, { name: 'ssh-tiny', model, port }).catch((e) => e);
      expect(again.code).toBe('server_running');
    } finally {
      expect(await stopServer(conn, 'ssh-tiny')).toMatchObject({ running: false, state: 'stopped' });
    }
    expect(await serverStatus(conn, 'ssh-tiny')).toMatchObject({ running: false, state: 'stopped', pid: 0 });
    expect(await remoteAlive(conn, info.pid)).toBe(false);
    // stop removed the pid file and the launch record.
    expect((await conn.run(['ls', '.broke/run/ssh-tiny.pid', '.broke/run/ssh-tiny.json'])).code).not.toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
