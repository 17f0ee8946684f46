import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Client, type ConnectConfig } from 'ssh2';
import type { SshConfig } from '../config/schema.js';
import { SshError } from './errors.js';
import { expandHome, fingerprintOf, verifyHostKey } from './host-key.js';
import { shellCommand } from './quote.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface SshConnectOptions {
  /** Key material; overrides ssh.privateKeyPath. */
  privateKey?: Buffer | string;
  passphrase?: string;
}

export type SshTarget = Pick<SshConfig, 'host' | 'port' | 'user'> &
  Partial<Omit<SshConfig, 'host' | 'port' | 'user'>>;

export function targetName(t: SshTarget): string {
  return `${t.user}@${t.host}:${t.port ?? 22}`;
}

/** Default client keys, tried in ssh's order when none is configured and no agent is running. */
function defaultKey(): Buffer | undefined {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const p = join(homedir(), '.ssh', name);
    if (existsSync(p)) return readFileSync(p);
  }
  return undefined;
}

/** One authenticated SSH connection with a verified host key. Commands run one exec channel each. */
export class SshConnection {
  private closedFlag = false;
  /** Fingerprint of the host key that was verified for this connection. */
  hostKeyFingerprint = '';
  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
  ) {
    client.on('close', () => {
      this.closedFlag = true;
    });
    client.on('error', () => {
      this.closedFlag = true;
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  static connect(target: SshTarget, options: SshConnectOptions = {}): Promise<SshConnection> {
    const port = target.port ?? 22;
    const name = targetName(target);
    let privateKey = options.privateKey;
    if (privateKey === undefined && target.privateKeyPath) {
      const p = expandHome(target.privateKeyPath);
      if (!existsSync(p))
        return Promise.reject(
          new SshError(name, `SSH key ${p} not found`, {
            code: 'ssh_key_missing',
            hint: 'check ssh.privateKeyPath',
          }),
        );
      privateKey = readFileSync(p);
    }
    const agent = privateKey === undefined ? process.env.SSH_AUTH_SOCK : undefined;
    if (privateKey === undefined && !agent) privateKey = defaultKey();
    let hostKeyError: unknown;
    let seen = '';
    const cfg: ConnectConfig = {
      host: target.host,
      port,
      username: target.user,
      readyTimeout: target.connectTimeoutMs ?? 10_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        seen = fingerprintOf(key);
        try {
          verifyHostKey(key, { ...target, port });
          return true;
        } catch (err) {
          hostKeyError = err;
          return false;
        }
      },
      ...(privateKey !== undefined ? { privateKey } : {}),
      ...((options.passphrase ?? process.env.BROKE_SSH_PASSPHRASE)
        ? { passphrase: options.passphrase ?? process.env.BROKE_SSH_PASSPHRASE }
        : {}),
      ...(agent ? { agent } : {}),
    };
    return new Promise((resolve, reject) => {
      const client = new Client();
      let settled = false;
      client.once('ready', () => {
        settled = true;
        const conn = new SshConnection(client, target);
        conn.hostKeyFingerprint = seen;
        resolve(conn);
      });
      client.once('error', (err: Error & { level?: string; code?: string }) => {
        if (settled) return;
        settled = true;
        client.end();
        if (hostKeyError) return reject(hostKeyError);
        reject(describeConnectError(name, err));
      });
      try {
        client.connect(cfg);
      } catch (err) {
        // ssh2 throws synchronously for keys it cannot use (encrypted without passphrase, garbage).
        settled = true;
        const msg = (err as Error).message;
        reject(
          new SshError(name, `cannot use the SSH key for ${name}: ${msg}`, {
            code: 'ssh_key_invalid',
            hint: /passphrase/i.test(msg)
              ? 'load the key into ssh-agent, or set BROKE_SSH_PASSPHRASE'
              : 'check ssh.privateKeyPath points at an OpenSSH private key',
            cause: err,
          }),
        );
      }
    });
  }

  /** Run a raw command line (callers build it with shellCommand/shellQuote). */
  exec(command: string, options: { timeoutMs?: number; stdin?: string } = {}): Promise<ExecResult> {
    const name = targetName(this.target);
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      if (this.closedFlag)
        return reject(new SshError(name, `SSH connection to ${name} is closed`, { code: 'ssh_closed' }));
      this.client.exec(command, (err, stream) => {
        if (err)
          return reject(new SshError(name, `SSH exec failed on ${name}: ${err.message}`, { cause: err }));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | null = null;
        const timer = setTimeout(() => {
          stream.close();
          reject(
            new SshError(name, `remote command timed out after ${timeoutMs} ms on ${name}`, {
              code: 'ssh_timeout',
              hint: 'the host is slow or the command hangs',
            }),
          );
        }, timeoutMs);
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('exit', (c: number | null) => {
          code = c;
        });
        stream.on('close', () => {
          clearTimeout(timer);
          resolve({
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errOut).toString('utf8'),
            code,
          });
        });
        if (options.stdin !== undefined) stream.end(options.stdin);
        else stream.end();
      });
    });
  }

  /** Run an argv with every word shell-quoted. */
  run(argv: readonly string[], options: { timeoutMs?: number; stdin?: string } = {}): Promise<ExecResult> {
    return this.exec(shellCommand(argv), options);
  }

  /** Like run, but a non-zero exit is an SshError carrying stderr. */
  async check(
    argv: readonly string[],
    options: { timeoutMs?: number; stdin?: string } = {},
  ): Promise<string> {
    const r = await this.run(argv, options);
    if (r.code !== 0) {
      const name = targetName(this.target);
      throw new SshError(
        name,
        `remote command failed on ${name} (exit ${r.code}): ${r.stderr.trim().slice(-300)}`,
        {
          code: 'ssh_command_failed',
        },
      );
    }
    return r.stdout;
  }

  close(): void {
    this.closedFlag = true;
    this.client.end();
  }
}

function describeConnectError(name: string, err: Error & { level?: string; code?: string }): SshError {
  if (err.level === 'client-authentication')
    return new SshError(name, `SSH authentication failed for ${name}`, {
      code: 'ssh_auth_failed',
      hint: 'check ssh.user and ssh.privateKeyPath (the public key must be in the remote authorized_keys)',
      cause: err,
    });
  if (err.level === 'client-timeout' || /timed out/i.test(err.message))
    return new SshError(name, `SSH connection to ${name} timed out`, {
      code: 'ssh_timeout',
      hint: 'check the host is up and ssh.connectTimeoutMs',
      cause: err,
    });
  if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENOTFOUND')
    return new SshError(name, `cannot reach SSH on ${name} (${err.code})`, {
      code: 'ssh_unreachable',
      hint: 'check the host name, ssh.port and that sshd is running',
      cause: err,
    });
  return new SshError(name, `SSH connection to ${name} failed: ${err.message}`, { cause: err });
}
