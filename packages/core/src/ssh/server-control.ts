import { BrokeError, ValidationError } from '../errors.js';
import { expandServerCommand } from './command-template.js';
import type { SshConnection } from './connection.js';
import { SshError } from './errors.js';
import { shellCommand, shellQuote } from './quote.js';

/** Default remote command; `{model}`, `{host}`, `{port}` are substituted by buildServerArgv. */
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
  /** Called about every 2 s while the server loads, so a person sees what start waits for. */
  onProgress?: (progress: StartProgress) => void;
}

/** Where a start stands while it waits: loading (no answer yet) or answering but not yet proven. */
export interface StartProgress {
  pid: number;
  elapsedMs: number;
  waitingFor: 'health' | 'port owner';
  /** What the wait saw last (e.g. who holds the port). */
  detail?: string;
}

/**
 * `running`: the pid file names a live process proven to be the server BROKE started (its command
 * line is the recorded command; where `lsof` or `ss` exists, nothing else listens on the recorded port).
 * `stopped`: no pid file, or its process is gone. `stale`: a pid file BROKE will not trust (not a
 * pid above 1, no launch record, or a live process that is something else): nothing is signalled.
 */
export type ServerState = 'running' | 'stopped' | 'stale';

export interface ServerInfo {
  name: string;
  /** The pid from the pid file; 0 when there is none or it is not a process id. */
  pid: number;
  logPath: string;
  running: boolean;
  state: ServerState;
  /** Why the pid file is not trusted (state `stale`). */
  reason?: string;
  /** What could not be checked (e.g. no `lsof` on the node), or what start replaced. */
  note?: string;
}

/** What start records next to the pid file (`~/.broke/run/NAME.json`), so stop can prove the pid. */
export interface LaunchRecord {
  version: 1;
  argv: string[];
  port: number;
  startedAt: string;
}

/** What the node says about a pid: liveness, `ps -o args=`, and who listens on the recorded port. */
export interface ProcessProbe {
  alive: boolean;
  /** `ps -ww -o args= -p PID`. */
  args: string;
  /** Pids listening on the recorded port with their parents; null when neither `lsof` nor `ss` is installed. */
  listeners: { pid: number; ppid: number }[] | null;
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
const recordFile = (name: string) => `${REMOTE_RUN_DIR}/${name}.json`;
const logFile = (name: string) => `${REMOTE_LOG_DIR}/${name}.log`;

/**
 * The server's argv with `{model}`, `{host}` and `{port}` substituted so that no value is ever
 * parsed as shell syntax, including inside a configured `sh -c '...'` (command-template.ts has
 * the rules); a placeholder BROKE cannot quote safely where it stands is a ValidationError.
 */
export function buildServerArgv(
  opts: Pick<StartServerOptions, 'model' | 'host' | 'port' | 'command'>,
): string[] {
  return expandServerCommand(opts.command ?? DEFAULT_SERVER_COMMAND, {
    model: opts.model,
    host: opts.host ?? '127.0.0.1',
    port: opts.port,
  });
}

/** Start a model server with nohup, record its pid, then wait until its health URL answers. */
export async function startServer(conn: SshConnection, opts: StartServerOptions): Promise<ServerInfo> {
  checkName(opts.name);
  // A command BROKE cannot quote safely is refused before anything runs on the node.
  const argv = buildServerArgv(opts);
  const before = await serverStatus(conn, opts.name);
  if (before.running)
    throw new BrokeError('server_running', `"${opts.name}" is already running (pid ${before.pid})`, {
      hint: `\`broke-cluster server restart ${opts.name}\` restarts it, \`server stop ${opts.name}\` stops it`,
      status: 409,
    });
  // Another process on the port would answer /health in our server's place: refuse up front.
  const holders = await portListeners(conn, opts.port);
  if (holders?.length) throw await portHeld(conn, opts.port, holders);
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new ValidationError(`bad environment variable name "${k}"`);
    return `${k}=${shellQuote(v)}`;
  });
  const record: LaunchRecord = { version: 1, argv, port: opts.port, startedAt: new Date().toISOString() };
  const script = [
    `mkdir -p ${REMOTE_RUN_DIR} ${REMOTE_LOG_DIR}`,
    `printf '%s\\n' ${shellQuote(JSON.stringify(record))} > ${recordFile(opts.name)}`,
    `${env.length ? `env ${env.join(' ')} ` : ''}nohup ${shellCommand(argv)} > ${logFile(opts.name)} 2>&1 < /dev/null &`,
    `echo $! > ${pidFile(opts.name)}`,
    'echo $!',
  ].join('\n');
  const r = await conn.run(['sh', '-c', script]);
  const pid = parsePid(r.stdout);
  if (r.code !== 0 || pid === undefined)
    throw new SshError(conn.target.host, `could not start "${opts.name}": ${r.stderr.trim()}`, {
      code: 'server_start_failed',
    });
  const note =
    before.state === 'stale' ? `replaced a stale pid file (${before.reason ?? 'not ours'})` : undefined;

  const url = opts.healthUrl ?? `http://${conn.target.host}:${opts.port}/health`;
  const started = Date.now();
  const deadline = started + (opts.readyTimeoutMs ?? 120_000);
  let lastProgress = started;
  let holder: string | undefined;
  opts.onProgress?.({ pid, elapsedMs: 0, waitingFor: 'health' });
  for (;;) {
    // The pid is the one `$!` just gave us: while it lives, it is still loading.
    const probe = await probeProcess(conn, pid, opts.port);
    if (probe.alive && (await answers(url))) {
      // Something answers; it counts only if the process we started (or its child) owns the port.
      const owned = probe.listeners === null || probe.listeners.some((l) => l.pid === pid || l.ppid === pid);
      if (owned) {
        const unchecked =
          probe.listeners === null
            ? `neither lsof nor ss on the node: the owner of port ${opts.port} was not checked`
            : undefined;
        const notes = [note, unchecked].filter(Boolean).join('; ');
        return {
          name: opts.name,
          pid,
          logPath: logFile(opts.name),
          running: true,
          state: 'running',
          ...(notes ? { note: notes } : {}),
        };
      }
      holder = probe.listeners?.length
        ? `port ${opts.port} is held by pid ${probe.listeners.map((l) => l.pid).join(', ')}, not ${pid}`
        : `${url} answers but nothing on the node listens on port ${opts.port}`;
    }
    if (!probe.alive) {
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
      throw new SshError(
        conn.target.host,
        holder
          ? `server "${opts.name}" (pid ${pid}) not proven to serve ${url}: ${holder}`
          : `server "${opts.name}" not ready at ${url} in time`,
        {
          code: 'server_start_timeout',
          hint: `it may still be loading; see ~/${logFile(opts.name)}`,
        },
      );
    if (opts.onProgress && Date.now() - lastProgress >= 2000) {
      lastProgress = Date.now();
      opts.onProgress({
        pid,
        elapsedMs: lastProgress - started,
        waitingFor: holder ? 'port owner' : 'health',
        ...(holder ? { detail: holder } : {}),
      });
    }
    await new Promise((r2) => setTimeout(r2, 300));
  }
}

/** The refusal when another process already listens on the server's port. */
async function portHeld(
  conn: SshConnection,
  port: number,
  holders: readonly { pid: number }[],
): Promise<BrokeError> {
  const pid = holders[0]?.pid ?? 0;
  const args = pid
    ? (
        await conn.run(['sh', '-c', `ps -ww -o args= -p ${shellQuote(String(pid))} 2>/dev/null; true`])
      ).stdout.trim()
    : '';
  return new BrokeError(
    'port_in_use',
    `port ${port} on ${conn.target.host} is already held by pid ${holders.map((h) => h.pid).join(', ')}${args ? ` (${clip(args)})` : ''}, not by a server BROKE started`,
    { hint: 'stop that process, or give the node another port in its url', status: 409 },
  );
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

/** The highest pid any supported OS hands out is far below this (Linux pid_max ≤ 2^22). */
const MAX_PID = 2 ** 30;

/** A pid file's text as a process id: one decimal integer above 1 (never -1, 0 or 1), else undefined. */
export function parsePid(text: string): number | undefined {
  const t = text.replace(/\n$/, '');
  if (!/^[1-9][0-9]{0,9}$/.test(t)) return undefined;
  const pid = Number(t);
  return pid > 1 && pid < MAX_PID ? pid : undefined;
}

/**
 * Does `ps -o args=` show the command BROKE launched? Either exactly, or with an interpreter in
 * front (a script's shebang: `python3 /venv/bin/mlx_lm.server --model ...`). A bare program name
 * (found on PATH) may also appear as the tail of a path (`/venv/bin/mlx_lm.server`).
 */
export function commandMatches(args: string, argv: readonly string[]): boolean {
  const prog = argv[0];
  if (!prog) return false;
  const seen = args.trim();
  const want = argv.join(' ').trim();
  if (!want || !seen.endsWith(want)) return false;
  if (seen.length === want.length) return true;
  const before = seen[seen.length - want.length - 1];
  return before === ' ' || (before === '/' && !prog.includes('/'));
}

const clip = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Decide whether a probed pid is the server a launch record describes. Pure: see serverStatus. */
export function judgeProcess(
  pid: number,
  record: LaunchRecord | undefined,
  probe: ProcessProbe,
): Pick<ServerInfo, 'state' | 'reason' | 'note'> {
  if (!probe.alive) return { state: 'stopped' };
  if (!record)
    return {
      state: 'stale',
      reason: `pid ${pid} is alive but there is no record of the command BROKE started`,
    };
  if (!commandMatches(probe.args, record.argv))
    return {
      state: 'stale',
      reason: `pid ${pid} runs "${clip(probe.args.trim())}", not "${clip(record.argv.join(' '))}"`,
    };
  if (probe.listeners === null)
    return {
      state: 'running',
      note: `neither lsof nor ss on the node: the owner of port ${record.port} was not checked`,
    };
  if (probe.listeners.length && !probe.listeners.some((l) => l.pid === pid || l.ppid === pid))
    return {
      state: 'stale',
      reason: `port ${record.port} is held by pid ${probe.listeners.map((l) => l.pid).join(', ')}, not ${pid}`,
    };
  return probe.listeners.length
    ? { state: 'running' }
    : { state: 'running', note: `nothing listens on port ${record.port} yet` };
}

function parseRecord(text: string): LaunchRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LaunchRecord>;
    if (
      r &&
      r.version === 1 &&
      Array.isArray(r.argv) &&
      r.argv.length > 0 &&
      r.argv.every((w) => typeof w === 'string') &&
      Number.isInteger(r.port)
    )
      return r as LaunchRecord;
  } catch {
    // unreadable: treated as missing
  }
  return undefined;
}

/**
 * Shell lines printing `listen PID:PPID ...` for the TCP listeners on `port`, or `nolsof` when
 * the node has neither lsof (macOS, most Linux) nor ss (Linux without lsof) to tell.
 */
function listenersScript(port: number): string {
  const q = shellQuote(String(port));
  const each = `printf ' %s:%s' "$l" "$(ps -o ppid= -p "$l" 2>/dev/null | tr -d ' ')"`;
  return [
    'if command -v lsof >/dev/null 2>&1; then',
    `  printf listen; for l in $(lsof -nP -iTCP:${q} -sTCP:LISTEN -t 2>/dev/null); do ${each}; done; echo`,
    'elif command -v ss >/dev/null 2>&1; then',
    `  printf listen; for l in $(ss -Hltnp "sport = :${port}" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do ${each}; done; echo`,
    'else echo nolsof; fi',
  ].join('\n');
}

function parseListeners(line: string): { pid: number; ppid: number }[] | null {
  if (line === 'nolsof') return null;
  return line
    .replace(/^listen/, '')
    .trim()
    .split(' ')
    .filter(Boolean)
    .map((pair) => {
      const [l, pp] = pair.split(':');
      return { pid: Number(l), ppid: Number(pp) };
    });
}

/** Who listens on `port` on the node (pid and parent); null when the node cannot tell. */
export async function portListeners(
  conn: SshConnection,
  port: number,
): Promise<{ pid: number; ppid: number }[] | null> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  const r = await conn.run(['sh', '-c', listenersScript(port)]);
  return parseListeners(r.stdout.split('\n')[0] ?? 'nolsof');
}

const SPLIT = '--broke-record--';

/** One round trip: liveness, command line, and (where lsof or ss exists) who listens on the port. */
async function probeProcess(
  conn: SshConnection,
  pid: number,
  port: number | undefined,
): Promise<ProcessProbe> {
  const p = shellQuote(String(pid));
  const lsof =
    port === undefined || !Number.isInteger(port) || port < 1 || port > 65535
      ? 'echo listen'
      : listenersScript(port);
  const script = [
    ALIVE,
    `alive ${p} || { echo dead; exit 0; }`,
    'echo alive',
    lsof,
    `printf 'args '; ps -ww -o args= -p ${p} 2>/dev/null; true`,
  ].join('\n');
  const r = await conn.run(['sh', '-c', script]);
  const out = r.stdout;
  if (!out.startsWith('alive\n')) return { alive: false, args: '', listeners: [] };
  const at = out.indexOf('\nargs ');
  const args = at < 0 ? '' : out.slice(at + 6).replace(/\n+$/, '');
  // Every live process has a command line; none means it exited between the two checks.
  if (!args.trim()) return { alive: false, args: '', listeners: [] };
  const listeners = parseListeners(out.split('\n')[1] ?? '');
  return { alive: true, args, listeners };
}

/**
 * What the pid file says, checked: the pid must be a decimal integer above 1 and, if alive, its
 * command line must be the one recorded at start (and it must own the port, where lsof can tell).
 */
export async function serverStatus(conn: SshConnection, name: string): Promise<ServerInfo> {
  const checked = await checkedStatus(conn, name);
  const { args: _args, ...info } = checked;
  return info;
}

async function checkedStatus(conn: SshConnection, name: string): Promise<ServerInfo & { args?: string }> {
  checkName(name);
  const base = { name, logPath: logFile(name) };
  const read = [
    `[ -f ${pidFile(name)} ] || { echo nopid; exit 0; }`,
    'echo pid',
    `head -c 64 ${pidFile(name)}`,
    `printf '\\n${SPLIT}\\n'`,
    `head -c 65536 ${recordFile(name)} 2>/dev/null`,
    'true',
  ].join('\n');
  const r = await conn.run(['sh', '-c', read]);
  if (!r.stdout.startsWith('pid\n')) return { ...base, pid: 0, running: false, state: 'stopped' };
  const body = r.stdout.slice(4);
  const cut = body.indexOf(`\n${SPLIT}\n`);
  const pidText = cut < 0 ? body : body.slice(0, cut);
  const pid = parsePid(pidText);
  if (pid === undefined)
    return {
      ...base,
      pid: 0,
      running: false,
      state: 'stale',
      reason: `the pid file holds ${JSON.stringify(clip(pidText.replace(/\n$/, ''), 24))}, not a process id above 1`,
    };
  const record = cut < 0 ? undefined : parseRecord(body.slice(cut + SPLIT.length + 2).trim());
  const probe = await probeProcess(conn, pid, record?.port);
  const verdict = judgeProcess(pid, record, probe);
  return { ...base, pid, running: verdict.state === 'running', ...verdict, args: probe.args };
}

/** The typed refusal (`pid_not_ours`) for a pid BROKE cannot prove is its own server. */
function notOurs(name: string, status: Pick<ServerInfo, 'pid' | 'reason'>): BrokeError {
  const pidPart = status.pid ? ` (pid ${status.pid})` : '';
  const check = status.pid ? ` (ps -o pid,args -p ${status.pid})` : '';
  return new BrokeError(
    'pid_not_ours',
    `refusing to signal "${name}"${pidPart}: ${status.reason ?? 'it is not the server BROKE started'}`,
    {
      hint: `stale pid file? check the process on the node${check}, stop it yourself if it is yours, then remove ~/${pidFile(name)}`,
      status: 409,
    },
  );
}

/**
 * `tree PID`: the pid and every process under it, one per line; `born PID`: its start time. A
 * configured `sh -c '…; mlx_lm.server …'` runs the server as the shell's child, and signalling the
 * shell alone left the server running on its port. `ps -A -o pid=,ppid=` and `lstart` read the
 * same on Linux and macOS; the start time tells a pid reused later from the one listed.
 */
const TREE = [
  'tree() { ps -A -o pid=,ppid= 2>/dev/null | awk -v r="$1" \'{ up[$1] = $2 } END { for (x in up) { y = x; while (y != r && (y in up) && y > 1) y = up[y]; if (y == r) print x } }\'; }',
  'born() { ps -o lstart= -p "$1" 2>/dev/null | tr -d \' \'; }',
].join('\n');

/**
 * SIGTERM to the server and what it started, wait up to timeoutMs, then SIGKILL what is left;
 * removes the pid file and launch record. Only a pid proven to be the server BROKE started is
 * signalled (and only while its command line is still the one checked; its children only while
 * they are the processes listed); anything else is a `pid_not_ours` BrokeError and nothing is
 * signalled.
 */
export async function stopServer(conn: SshConnection, name: string, timeoutMs = 10_000): Promise<ServerInfo> {
  const status = await checkedStatus(conn, name);
  const { args, ...info } = status;
  if (status.state === 'stale') throw notOurs(name, status);
  if (status.state === 'running') {
    const tries = Math.max(1, Math.ceil(timeoutMs / 200));
    const p = shellQuote(String(status.pid));
    const script = [
      ALIVE,
      TREE,
      // Re-checked right before each signal: a pid that now runs something else is left alone.
      `same() { [ "$(ps -ww -o args= -p ${p} 2>/dev/null)" = ${shellQuote(args ?? '')} ]; }`,
      'same || { echo changed; exit 0; }',
      // The server's children, listed before it is signalled (then they would be orphans), as
      // "pid start" pairs; `mine` prints those whose pid is still the process listed.
      `kids=; for q in $(tree ${p}); do [ "$q" = ${p} ] && continue; b=$(born "$q"); [ -n "$b" ] || b=gone; kids="$kids $q $b"; done`,
      'mine() { set -- $kids; while [ $# -gt 1 ]; do alive "$1" && [ "$(born "$1")" = "$2" ] && echo "$1"; shift 2; done; }',
      `left() { alive ${p} && same && return 0; [ -n "$(mine)" ]; }`,
      `kill -TERM ${p} 2>/dev/null`,
      'for q in $(mine); do kill -TERM "$q" 2>/dev/null; done',
      `i=0; while left && [ $i -lt ${tries} ]; do sleep 0.2; i=$((i+1)); done`,
      `alive ${p} && same && kill -KILL ${p} 2>/dev/null`,
      'for q in $(mine); do kill -KILL "$q" 2>/dev/null; done',
      'true',
    ].join('\n');
    const r = await conn.run(['sh', '-c', script], { timeoutMs: timeoutMs + 10_000 });
    if (r.stdout.trim() === 'changed')
      throw notOurs(name, { pid: status.pid, reason: `pid ${status.pid} changed its command line` });
  }
  await conn.run(['rm', '-f', pidFile(name), recordFile(name)]);
  return { ...info, running: false, state: 'stopped' };
}

export async function restartServer(conn: SshConnection, opts: StartServerOptions): Promise<ServerInfo> {
  // Checked first: a command that cannot start must not stop the running server.
  checkName(opts.name);
  buildServerArgv(opts);
  await stopServer(conn, opts.name);
  return startServer(conn, opts);
}

export async function tailLog(conn: SshConnection, name: string, lines = 50): Promise<string> {
  checkName(name);
  const r = await conn.run(['tail', '-n', String(Math.max(1, Math.floor(lines))), logFile(name)]);
  return r.stdout;
}
