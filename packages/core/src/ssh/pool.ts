import type { SshConnectOptions, SshTarget } from './connection.js';
import { type ExecResult, SshConnection, targetName } from './connection.js';

/**
 * Reuses one connection per user@host:port; reconnects when a connection has dropped and retries
 * a command once if the connection died under it. Concurrent callers share one connect attempt.
 */
export class SshPool {
  private readonly conns = new Map<string, Promise<SshConnection>>();

  constructor(private readonly options: SshConnectOptions = {}) {}

  async get(target: SshTarget, options: SshConnectOptions = this.options): Promise<SshConnection> {
    const key = `${targetName(target)}|${target.privateKeyPath ?? ''}`;
    const existing = this.conns.get(key);
    if (existing) {
      const conn = await existing.catch(() => undefined);
      if (conn && !conn.closed) return conn;
      this.conns.delete(key);
    }
    const pending = SshConnection.connect(target, options);
    this.conns.set(key, pending);
    pending.catch(() => this.conns.delete(key));
    return pending;
  }

  async run(
    target: SshTarget,
    argv: readonly string[],
    options: { timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const conn = await this.get(target);
    try {
      return await conn.run(argv, options);
    } catch (err) {
      if (!conn.closed) throw err;
      return (await this.get(target)).run(argv, options);
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    for (const p of all) (await p.catch(() => undefined))?.close();
  }
}
