import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Children die with this process even if it is SIGKILLed (setpriv where the system has it). */
const PDEATH = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'SIGKILL', '--'] : [];

/**
 * The child processes of a benchmark run (nodes, gateways, peers, crews): each one's stderr kept
 * as a short tail for error messages, and every one killed on the way out whatever happens.
 */
export class Children {
  private readonly all = new Set<ChildProcess>();

  constructor(private readonly options: { cwd: string; verbose?: boolean }) {
    process.on('exit', () => this.killAll());
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.on(sig, () => {
        this.killAll();
        process.exit(130);
      });
  }

  /** SIGTERM to every child still running. */
  killAll(): void {
    for (const c of this.all) if (c.exitCode === null) c.kill('SIGTERM');
  }

  /** Starts `command`; its last 40 stderr lines go to `tail` (and to stderr with `verbose`). */
  start(command: string, argv: string[], tail: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const [cmd, ...rest] = [...PDEATH, command, ...argv] as [string, ...string[]];
    const child = spawn(cmd, rest, {
      cwd: this.options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(env ? { env } : {}),
    });
    this.all.add(child);
    child.once('exit', () => this.all.delete(child));
    child.stderr?.on('data', (d) => {
      for (const line of String(d).split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (this.options.verbose) process.stderr.write(`  | ${line}\n`);
      }
    });
    return child;
  }

  /** Resolves with the first stdout line matching `pattern`; rejects if the child exits first. */
  waitForLine(
    child: ChildProcess,
    pattern: RegExp,
    what: string,
    tail: string[],
    timeoutMs = 60_000,
  ): Promise<RegExpMatchArray> {
    return new Promise<RegExpMatchArray>((resolveLine, reject) => {
      let buf = '';
      const timer = setTimeout(
        () => reject(new Error(`${what} not ready after ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      child.stdout?.on('data', (d) => {
        buf += String(d);
        const m = pattern.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolveLine(m);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${what} exited with code ${code}:\n${tail.join('\n')}`));
      });
    });
  }

  /** SIGTERM, then SIGKILL after 3 s. */
  async stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
