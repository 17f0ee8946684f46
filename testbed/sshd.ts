import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { endsWithThisProcess } from './on-process-end.js';

/**
 * A real OpenSSH server on 127.0.0.1 for tests: fresh host and client keys in a temp dir, a free
 * port, key-only auth. Installs Debian's openssh-server once (under a lock) when it is missing and
 * we are root. Never listens on or contacts anything but loopback.
 */

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  user: string;
  privateKey: Buffer;
  privateKeyPath: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA...`, ready for a known_hosts file. */
  knownHostsLine: string;
  /** The temp dir holding keys, config and logs. */
  dir: string;
  stop(): Promise<void>;
}

async function ensureSshdInstalled(): Promise<void> {
  if (existsSync(SSHD)) return;
  if (process.getuid?.() !== 0) throw new Error(`${SSHD} is missing; install openssh-server (needs root)`);
  // Test files run in parallel workers: one installs, the rest wait on the lock file.
  const lock = join(tmpdir(), 'broke-sshd-install.lock');
  await run(
    'flock',
    [
      lock,
      'sh',
      '-c',
      `test -x ${SSHD} || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server)`,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (!existsSync(SSHD)) throw new Error('openssh-server installation did not provide /usr/sbin/sshd');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(
  port: number,
  child: ChildProcess,
  logPath: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const log = await readFile(logPath, 'utf8').catch(() => '');
      throw new Error(`sshd exited with ${child.exitCode}: ${log.slice(-2000)}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('data', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
      sock.setTimeout(1000, () => {
        sock.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not open port ${port} within ${timeoutMs} ms`);
}

/** `addresses`: extra loopback addresses to listen on (e.g. 127.0.0.2), same port. */
export async function startSshd(options: { addresses?: string[] } = {}): Promise<Sshd> {
  await ensureSshdInstalled();
  // Privilege separation dir, required by sshd even with -D.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'broke-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'broke-test-host', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'broke-test-client', '-f', clientKey]);
  const authorized = join(dir, 'authorized_keys');
  await writeFile(authorized, await readFile(`${clientKey}.pub`), { mode: 0o600 });

  const port = await freePort();
  const user = userInfo().username;
  const cfg = join(dir, 'sshd_config');
  await writeFile(
    cfg,
    [
      `ListenAddress 127.0.0.1:${port}`,
      ...(options.addresses ?? []).map((a) => {
        if (!a.startsWith('127.')) throw new Error(`sshd listens on loopback only, not ${a}`);
        return `ListenAddress ${a}:${port}`;
      }),
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      `PermitRootLogin ${user === 'root' ? 'prohibit-password' : 'no'}`,
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'MaxSessions 50',
      'MaxStartups 50',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const logPath = join(dir, 'sshd.log');
  const log = await open(logPath, 'w');
  const child = spawn(SSHD, ['-D', '-e', '-f', cfg], { stdio: ['ignore', log.fd, log.fd] });
  endsWithThisProcess(child);
  await log.close();
  await waitForPort(port, child, logPath);

  const pub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
  const keyType = pub[0] ?? 'ssh-ed25519';
  const keyB64 = pub[1] ?? '';
  const fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(keyB64, 'base64')).digest('base64').replace(/=+$/, '')}`;

  return {
    host: '127.0.0.1',
    port,
    user,
    privateKey: await readFile(clientKey),
    privateKeyPath: clientKey,
    hostKeyFingerprint: fingerprint,
    knownHostsLine: `[127.0.0.1]:${port} ${keyType} ${keyB64}`,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
