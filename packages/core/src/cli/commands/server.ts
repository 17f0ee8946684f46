import type { Command } from 'commander';
import type { NodeConfig } from '../../config/schema.js';
import { ValidationError } from '../../errors.js';
import { SshConnection } from '../../ssh/connection.js';
import {
  REMOTE_RUN_DIR,
  restartServer,
  type ServerInfo,
  type StartProgress,
  serverStatus,
  startServer,
  stopServer,
  tailLog,
} from '../../ssh/server-control.js';
import { readConfigFile } from '../config-file.js';
import { collect, globals } from '../context.js';
import { milliseconds, positiveCount } from '../flags.js';

function nodeWithSsh(
  nodes: readonly NodeConfig[],
  id: string,
): NodeConfig & { ssh: NonNullable<NodeConfig['ssh']> } {
  const node = nodes.find((n) => n.id === id);
  if (!node)
    throw new ValidationError(`no node "${id}" in the config`, {
      hint: `nodes: ${nodes.map((n) => n.id).join(', ')}`,
    });
  if (!node.ssh)
    throw new ValidationError(`node "${id}" has no ssh section`, {
      hint: 'add ssh: {host, user} to manage it',
    });
  return node as NodeConfig & { ssh: NonNullable<NodeConfig['ssh']> };
}

/** `server start|stop|restart|status|logs <node>`: manage a node's model server over SSH. */
export function registerServer(program: Command): void {
  const server = program
    .command('server')
    .description("start, stop, restart or tail a node's model server over SSH");
  const withConn = async <T>(
    cmd: Command,
    id: string,
    fn: (conn: SshConnection, node: NodeConfig) => Promise<T>,
  ) => {
    const g = globals(cmd);
    const { config } = readConfigFile(g.config);
    const node = nodeWithSsh(config.nodes, id);
    const conn = await SshConnection.connect(node.ssh);
    try {
      return { g, result: await fn(conn, node) };
    } finally {
      conn.close();
    }
  };
  const startOpts = (c: Command) =>
    c
      .argument('<node>', 'node id')
      .option('--model <path>', "model path on the node (default: the node's first model path)")
      .option(
        '--command <argv>',
        'server command: a JSON array or space-separated words; {model} {host} {port} are replaced (default: mlx_lm.server --model {model} --host {host} --port {port})',
      )
      .option('--env <KEY=VALUE>', 'environment for the server (repeatable)', collect, [])
      .option('--bind <host>', 'address the server binds on the node (default: the host of the node URL)')
      .option('--ready-timeout <ms>', 'wait this long for /health', milliseconds, 120_000);
  type StartFlags = { model?: string; command?: string; env: string[]; bind?: string; readyTimeout: number };
  const startArgs = (node: NodeConfig, o: StartFlags, out: ReturnType<typeof globals>['out']) => {
    const model = o.model ?? node.models.find((m) => m.path)?.path;
    if (!model)
      throw new ValidationError(`node "${node.id}" lists no model path`, { hint: 'pass --model PATH' });
    const url = new URL(node.url);
    return {
      name: node.id,
      model,
      host: o.bind ?? url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 80),
      healthUrl: `${node.url.replace(/\/+$/, '')}/health`,
      readyTimeoutMs: o.readyTimeout,
      ...(o.command ? { command: parseCommand(o.command) } : {}),
      env: parseEnv(o.env),
      // Loading a model takes a while: say what start is waiting for.
      onProgress: (p: StartProgress) =>
        out.info(
          `${node.id}: pid ${p.pid} started ${Math.round(p.elapsedMs / 1000)} s ago, waiting for ${
            p.waitingFor === 'health'
              ? `${node.url.replace(/\/+$/, '')}/health`
              : `proof it owns the port (${p.detail})`
          }`,
        ),
    };
  };
  startOpts(
    server.command('start').description('start the model server (nohup, pid and log under ~/.broke)'),
  ).action(async (id: string, o: StartFlags, cmd: Command) => {
    const { out } = globals(cmd);
    const { g, result } = await withConn(cmd, id, (c, n) => startServer(c, startArgs(n, o, out)));
    g.out.result(
      result,
      `started ${id} (pid ${result.pid}, serving its port), log ~/${result.logPath}${result.note ? ` (${result.note})` : ''}`,
    );
  });
  startOpts(server.command('restart').description('stop then start the model server')).action(
    async (id: string, o: StartFlags, cmd: Command) => {
      const { out } = globals(cmd);
      const { g, result } = await withConn(cmd, id, (c, n) => restartServer(c, startArgs(n, o, out)));
      g.out.result(result, `restarted ${id} (pid ${result.pid})`);
    },
  );
  server
    .command('stop')
    .description('stop the model server (TERM, then KILL)')
    .argument('<node>', 'node id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const { g, result } = await withConn(cmd, id, (c) => stopServer(c, id));
      g.out.result(result, `stopped ${id}`);
    });
  server
    .command('status')
    .description('is the managed server running')
    .argument('<node>', 'node id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const { g, result } = await withConn(cmd, id, (c) => serverStatus(c, id));
      g.out.result(result, statusLine(id, result));
    });
  server
    .command('logs')
    .description('tail the server log')
    .argument('<node>', 'node id')
    .option('-n, --lines <n>', 'lines', positiveCount, 50)
    .action(async (id: string, o: { lines: number }, cmd: Command) => {
      const { g, result } = await withConn(cmd, id, (c) => tailLog(c, id, o.lines));
      g.out.result({ log: result }, result.trimEnd());
    });
}

/** `server status` in words: running (proven), a stale pid file (with why), or not running. */
function statusLine(id: string, s: ServerInfo): string {
  const note = s.note ? ` (${s.note})` : '';
  if (s.state === 'running') return `${id} running (pid ${s.pid})${note}`;
  if (s.state === 'stale')
    return `${id}: stale pid file, not running as far as BROKE can tell (${s.reason}); check it, then remove ~/${REMOTE_RUN_DIR}/${id}.pid`;
  return `${id} not running`;
}

function parseCommand(text: string): string[] {
  if (text.trim().startsWith('[')) {
    let argv: unknown;
    try {
      argv = JSON.parse(text);
    } catch {
      argv = undefined;
    }
    if (!Array.isArray(argv) || !argv.length || argv.some((w) => typeof w !== 'string'))
      throw new ValidationError('--command is not a JSON array of strings', {
        hint: '["mlx_lm.server","--model","{model}"]',
      });
    return argv as string[];
  }
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (!words.length) throw new ValidationError('--command is empty');
  return words;
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const at = p.indexOf('=');
    if (at < 1) throw new ValidationError(`--env ${p} is not KEY=VALUE`);
    env[p.slice(0, at)] = p.slice(at + 1);
  }
  return env;
}
