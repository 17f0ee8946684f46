import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../testbed/ports.js';
import { type Sshd, startSshd } from '../../../../testbed/sshd.js';
import { ValidationError } from '../../src/errors.js';
import { SshConnection } from '../../src/ssh/connection.js';
import { serverStatus, startServer, stopServer, tailLog } from '../../src/ssh/server-control.js';

/**
 * Issue 14, finding 7, end to end: hostile model names through `startServer` over a real SSH
 * session (testbed/sshd.ts; the "remote" host is this machine, so a file the remote side would
 * create is visible here). The "server" prints the words it received, then serves /health on
 * the port it was given, so startServer can prove the process it started owns that port.
 */

let sshd: Sshd;
let conn: SshConnection;
const tmp = mkdtempSync(join(tmpdir(), 'broke-ssh-inject-'));
/** The stand-in model server: answers every GET with {"status":"ok"} on 127.0.0.1:<port>. */
const SERVE = join(tmp, 'serve.py');
writeFileSync(
  SERVE,
  [
    'import http.server, sys',
    'class H(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    '        self.send_response(200); self.end_headers(); self.wfile.write(b\'{"status":"ok"}\')',
    '    def log_message(self, *a): pass',
    "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()",
    '',
  ].join('\n'),
);
const serve = `python3 ${SERVE} {port}`;
const PWNED = join(tmp, 'pwned');
const names: string[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  conn = await SshConnection.connect({
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    privateKeyPath: sshd.privateKeyPath,
    hostKeyFingerprint: sshd.hostKeyFingerprint,
  });
});

afterAll(async () => {
  if (conn) {
    for (const name of names) await stopServer(conn, name).catch(() => undefined);
    const files = names.flatMap((n) => [
      `.broke/logs/${n}.log`,
      `.broke/run/${n}.pid`,
      `.broke/run/${n}.json`,
    ]);
    if (files.length) await conn.run(['rm', '-f', ...files]).catch(() => undefined);
    conn.close();
  }
  await sshd?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const HOSTILE = [
  'a b',
  `$(touch ${PWNED})`,
  `';touch ${PWNED};'`,
  `\`touch ${PWNED}\``,
  `"; touch ${PWNED}; "`,
  `x && touch ${PWNED} || touch ${PWNED}`,
  `a[$(touch ${PWNED})]`,
  `> ${PWNED}`,
];

/** Whether anything answers HTTP on the loopback port. */
async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** Start, read what the server printed, stop; or the ValidationError that refused it. */
async function launch(command: string[], model: string): Promise<string[] | ValidationError> {
  const name = `inject-${process.pid}-${names.length}`;
  names.push(name);
  const port = await freePort();
  try {
    await startServer(conn, { name, model, port, command, readyTimeoutMs: 10_000 });
  } catch (err) {
    if (err instanceof ValidationError) {
      // Refused before anything ran: no pid file, no log.
      expect((await serverStatus(conn, name)).state).toBe('stopped');
      return err;
    }
    throw err;
  }
  let log = '';
  for (let i = 0; i < 50 && !log.includes('[end]'); i++) {
    log = await tailLog(conn, name, 20);
    if (!log.includes('[end]')) await new Promise((r) => setTimeout(r, 100));
  }
  // The launch record matches the live process: stop proves and signals it, and what it started:
  // here the server is the configured `sh -c` wrapper's child, and it must not outlive the stop.
  expect((await stopServer(conn, name)).state).toBe('stopped');
  expect(await answers(port), `the server on port ${port} still answers after stop`).toBe(false);
  return log
    .split('\n')
    .filter((l) => l.startsWith('['))
    .map((l) => l.slice(1, -1));
}

describe('no injected command runs on the remote side (real sshd)', () => {
  it('{model} inside the configured sh -c string: quoted, or refused when it holds $ or `', async () => {
    const command = ['/bin/sh', '-c', `printf '[%s]\\n' {model} --model={model} end; ${serve}`];
    for (const model of HOSTILE) {
      const out = await launch(command, model);
      if (/[$`]/.test(model)) {
        expect(out, model).toBeInstanceOf(ValidationError);
        expect((out as ValidationError).message).toMatch(/stands in shell code/);
      } else expect(out, model).toEqual([model, `--model=${model}`, 'end']);
    }
    expect(existsSync(PWNED)).toBe(false);
  });

  it('{model} as a word of its own (a positional parameter, the default command): passed whole', async () => {
    const command = ['/bin/sh', '-c', `printf "[%s]\\n" "$1" end; ${serve}`, 'sh', '{model}'];
    for (const model of HOSTILE.slice(0, 4))
      expect(await launch(command, model), model).toEqual([model, 'end']);
    expect(existsSync(PWNED)).toBe(false);
  });

  it('a placeholder BROKE cannot quote is refused before anything runs on the node', async () => {
    const model = `x'; touch ${PWNED}; '`;
    for (const command of [
      ['/bin/sh', '-c', "printf '[%s]\\n' '{model}'; sleep 30"],
      ['/bin/sh', '-c', 'printf "[%s]\\n" "{model}"; sleep 30'],
      ['/bin/sh', '-c', 'eval printf "[%s]\\n" {model}; sleep 30'],
    ])
      expect(await launch(command, model)).toBeInstanceOf(ValidationError);
    expect(existsSync(PWNED)).toBe(false);
  });
});
