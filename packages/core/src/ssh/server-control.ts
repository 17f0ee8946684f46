import { ValidationError } from '../errors.js';
import type { SshConnection } from './connection.js';
import { SshError } from './errors.js';
import { shellCommand, shellQuote } from './quote.js';

/** Default remote command; `{model}`, `{host}`, `{port}` are replaced word by word (never re-split). */
export const DEFAULT_SERVER_COMMAND = [
  'mlx_lm.server',
  '--model',
  '{model}',
  '--host',
  '{host}',
  '--port',
  '{port}',
];

/** Pid and log files live under ~/.broke on the node (relative paths: exec starts in $HOME). */
export const REMOTE_RUN_DIR = '.broke/run';
export const REMOTE_LOG_DIR = '.broke/logs';

export interface StartServerOptions {
  /** Names the pid and log files; letters, digits, dot, dash, underscore. */
  name: string;
  model: string;
  host?: string;
  port: number;
  command?: readonly string[];
  env?: Record<string, string>;
  /** URL polled until it answers 2xx (default http://{sshHost}:{port}/health). */
  healthUrl?: string;
  readyTimeoutMs?: number;
}

export interface ServerInfo {
  name: string;
  pid: number;
  logPath: string;
  running: boolean;
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new ValidationError(`bad server name "${name}"`, {
      hint: 'use letters, digits, dot, dash or underscore',
    });
}

/** A pid is alive when signalable and not a zombie (containers may lack a reaping init). */
const ALIVE =
  'alive() { kill -0 "$1" 2>/dev/null || return 1; case "$(ps -o stat= -p "$1" 2>/dev/null)" in Z*) return 1;; esac; return 0; }';

const pidFile = (name: string) => `${REMOTE_RUN_DIR}/${name}.pid`;
const logFile = (name: string) => `${REMOTE_LOG_DIR}/${name}.log`;

export function buildServerArgv(
  opts: Pick<StartServerOptions, 'model' | 'host' | 'port' | 'command'>,
): string[] {
  const vars: Record<string, string> = {
    model: opts.model,
    host: opts.host ?? '127.0.0.1',
    port: String(opts.port),
  };
  return (opts.command ?? DEFAULT_SERVER_COMMAND).map((w) =>
    w.replace(/\{(model|host|port)\}/g, (_, k) => vars[k] ?? ''),
  );
}

/** Start a model server with nohup, record its pid, then wait until its health URL answers. */
export async function startServer(conn: SshConnection, opts: StartServerOptions): Promise<ServerInfo> {
  checkName(opts.name);
  const running = await serverStatus(conn, opts.name);
  if (running.running)
    throw new SshError(conn.target.host, `server "${opts.name}" already runs (pid ${running.pid})`, {
      code: 'server_running',
      hint: 'stop or restart it instead',
    });
  const argv = buildServerArgv(opts);
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new ValidationError(`bad environment variable name "${k}"`);
    return `${k}=${shellQuote(v)}`;
  });
  const script = [
    `mkdir -p ${REMOTE_RUN_DIR} ${REMOTE_LOG_DIR}`,
    `${env.length ? `env ${env.join(' ')} ` : ''}nohup ${shellCommand(argv)} > ${logFile(opts.name)} 2>&1 < /dev/null &`,
    `echo $! > ${pidFile(opts.name)}`,
    'echo $!',
  ].join('\n');
  const r = await conn.run(['sh', '-c', script]);
  const pid = Number.parseInt(r.stdout.trim(), 10);
  if (r.code !== 0 || !Number.isFinite(pid))
    throw new SshError(conn.target.host, `could not start "${opts.name}": ${r.stderr.trim()}`, {
      code: 'server_start_failed',
    });

  const url = opts.healthUrl ?? `http://${conn.target.host}:${opts.port}/health`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (await answers(url)) return { name: opts.name, pid, logPath: logFile(opts.name), running: true };
    const status = await serverStatus(conn, opts.name);
    if (!status.running) {
      const tail = await tailLog(conn, opts.name, 20).catch(() => '');
      throw new SshError(
        conn.target.host,
        `server "${opts.name}" exited during startup: ${tail.trim().split('\n').slice(-3).join(' | ')}`,
        {
          code: 'server_start_failed',
          hint: `see ~/${logFile(opts.name)} on the node`,
        },
      );
    }
    if (Date.now() > deadline)
      throw new SshError(conn.target.host, `server "${opts.name}" not ready at ${url} in time`, {
        code: 'server_start_timeout',
        hint: `it may still be loading; see ~/${logFile(opts.name)}`,
      });
    await new Promise((r2) => setTimeout(r2, 300));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

export async function serverStatus(conn: SshConnection, name: string): Promise<ServerInfo> {
  checkName(name);
  const script = `${ALIVE}\np=$(cat ${pidFile(name)} 2>/dev/null) || exit 0; echo "$p"; alive "$p" && echo alive; true`;
  const r = await conn.run(['sh', '-c', script]);
  const [pidLine, alive] = r.stdout.trim().split('\n');
  const pid = Number.parseInt(pidLine ?? '', 10);
  return { name, pid: Number.isFinite(pid) ? pid : 0, logPath: logFile(name), running: alive === 'alive' };
}

/** SIGTERM, wait up to timeoutMs, then SIGKILL; removes the pid file. */
export async function stopServer(conn: SshConnection, name: string, timeoutMs = 10_000): Promise<ServerInfo> {
  const status = await serverStatus(conn, name);
  if (status.running) {
    const tries = Math.max(1, Math.ceil(timeoutMs / 200));
    const script = [
      ALIVE,
      `kill -TERM ${status.pid} 2>/dev/null`,
      `i=0; while alive ${status.pid} && [ $i -lt ${tries} ]; do sleep 0.2; i=$((i+1)); done`,
      `alive ${status.pid} && kill -KILL ${status.pid} 2>/dev/null`,
      'true',
    ].join('\n');
    await conn.run(['sh', '-c', script], { timeoutMs: timeoutMs + 10_000 });
  }
  await conn.run(['rm', '-f', pidFile(name)]);
  return { ...status, running: false };
}

export async function restartServer(conn: SshConnection, opts: StartServerOptions): Promise<ServerInfo> {
  await stopServer(conn, opts.name);
  return startServer(conn, opts);
}

export async function tailLog(conn: SshConnection, name: string, lines = 50): Promise<string> {
  checkName(name);
  const r = await conn.run(['tail', '-n', String(Math.max(1, Math.floor(lines))), logFile(name)]);
  return r.stdout;
}
