import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { endsWithThisProcess } from './on-process-end.js';
import { freePort } from './ports.js';

/**
 * A real HAProxy on 127.0.0.1 for tests, running a given config (docs/scaling.md's example) in a
 * temp dir. The config reads its addresses from the environment (BROKE_LB_BIND, BROKE_GW1, ...),
 * so the file users copy is the file tested. Missing haproxy throws with how to install it.
 */
export interface HaproxyServer {
  url: string;
  stop(): Promise<void>;
}

export function findHaproxy(): string {
  const found = [
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'haproxy')),
    '/usr/sbin/haproxy',
    '/usr/local/sbin/haproxy',
    '/opt/homebrew/bin/haproxy',
  ].find((path) => path && existsSync(path));
  if (!found)
    throw new Error(
      'haproxy is not installed, and the replica tests need a real load balancer. Install it: ' +
        '`sudo apt-get install -y haproxy` (Debian/Ubuntu; scripts/setup.sh does this when run as root) ' +
        'or `brew install haproxy` (macOS).',
    );
  return found;
}

/** `env` fills the config's "${VAR}" addresses; BROKE_LB_BIND is set to a free loopback port. */
export async function startHaproxy(config: string, env: Record<string, string>): Promise<HaproxyServer> {
  const binary = findHaproxy();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'broke-haproxy-'));
  const path = join(dir, 'haproxy.cfg');
  await writeFile(path, config);
  let stderr = '';
  const child: ChildProcess = spawn(binary, ['-db', '-f', path], {
    cwd: dir,
    env: { ...process.env, ...env, BROKE_LB_BIND: `127.0.0.1:${port}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  endsWithThisProcess(child);
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${stderr.slice(-500)}`);
    try {
      await fetch(`${url}/health`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`haproxy did not listen on ${url}: ${stderr.slice(-500)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
