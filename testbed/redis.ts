import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { endsWithThisProcess } from './on-process-end.js';
import { freePort } from './ports.js';

/**
 * A real redis-server on 127.0.0.1 for tests: a free port, a temp dir, no persistence
 * (`--save '' --appendonly no`). Never listens on anything but loopback. When redis-server is
 * missing this throws, saying how to install it: tests that need Redis fail, they never skip.
 */

export interface RedisServer {
  url: string;
  port: number;
  /** The temp dir (working dir and log). */
  dir: string;
  /** SIGKILL, as a crash would (the temp dir stays, for a restart on the same port). */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after 3 s) and remove the temp dir. */
  stop(): Promise<void>;
}

export function findRedisServer(): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'redis-server')),
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
    '/opt/homebrew/bin/redis-server',
  ];
  const found = candidates.find((path) => path && existsSync(path));
  if (!found)
    throw new Error(
      'redis-server is not installed, and the Redis store tests need a real one. Install it: ' +
        '`sudo apt-get install -y redis-server` (Debian/Ubuntu; scripts/setup.sh does this when run as root) ' +
        'or `brew install redis` (macOS).',
    );
  return found;
}

/** PING over a raw socket; true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** Starts redis-server; `port` reuses a port (e.g. to bring Redis back after `kill()`). */
export async function startRedis(options: { port?: number; timeoutMs?: number } = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'broke-redis-'));
  const logPath = join(dir, 'redis.log');
  const log = await open(logPath, 'w');
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    { cwd: dir, stdio: ['ignore', log.fd, log.fd] },
  );
  endsWithThisProcess(child);
  await log.close();
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const text = await readFile(logPath, 'utf8').catch(() => '');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}): ${text.slice(-2000)}`);
    }
    if (await ping(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not answer PING on 127.0.0.1:${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (running()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
