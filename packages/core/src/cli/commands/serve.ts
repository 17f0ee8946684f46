import { type Command, Option } from 'commander';
import { clusterFromConfig } from '../../cluster/cluster-from-config.js';
import { sshMemoryProbe } from '../../cluster/ssh-memory.js';
import { hostFromEnv, portFromEnv } from '../../config/gateway-env.js';
import { LOG_LEVELS, type LogLevel } from '../../config/observability-schema.js';
import { logMonitorEvents } from '../../observability/events.js';
import { createLogger } from '../../observability/logger.js';
import { SshPool } from '../../ssh/pool.js';
import { readConfigFile } from '../config-file.js';
import { globals } from '../context.js';
import { listenPort } from '../flags.js';

interface ServeOptions {
  host?: string;
  port?: number;
  requestLog: boolean;
  logPrompts?: boolean;
  logLevel?: LogLevel;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the gateway with the cluster monitor and baseline priors')
    .option('--host <host>', 'bind address (default: $BROKE_HOST, else gateway.host)')
    .option('--port <port>', 'port (default: $BROKE_PORT, else gateway.port; 0: any free port)', listenPort)
    .option('--no-request-log', 'do not write the per-request JSON line to stdout')
    .option(
      '--log-prompts',
      "put each request's messages in its log line (default: observability.log.prompts, off)",
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'lowest level logged (default: observability.log.level, info)',
      ).choices(LOG_LEVELS),
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      const g = globals(cmd);
      // Flags win over BROKE_HOST/BROKE_PORT, which win over gateway.host/port in the config.
      const host = opts.host ?? hostFromEnv();
      const port = opts.port ?? portFromEnv();
      const file = readConfigFile(g.config);
      const log = file.config.observability.log;
      const prompts = opts.logPrompts ?? log.prompts;
      const config = prompts === log.prompts ? file.config : withLogPrompts(file.config, prompts);
      // JSON lines on stdout: each request (unless --no-request-log), nodes going up or down.
      const logger = createLogger({ level: opts.logLevel ?? log.level, prompts });
      // Loaded here, not at the top: other commands start without hono and the gateway.
      const { startGateway } = await import('../../http/server.js');
      const pool = new SshPool();
      const { cluster, monitor, seeded } = await clusterFromConfig(file.config, {
        configPath: file.path,
        memoryProbe: sshMemoryProbe(pool),
        onMonitor: (m) => {
          logMonitorEvents(m, logger);
        },
      });
      monitor.start();
      const gw = await startGateway({
        config,
        cluster,
        ...(host ? { host } : {}),
        ...(port !== undefined ? { port } : {}),
        // One JSON line per request on stdout: route id, role, session, node, model, status, ms.
        ...(opts.requestLog ? { requestLogger: logger } : {}),
      });
      logger.info(
        {
          event: 'gateway_started',
          url: gw.url,
          nodes: config.nodes.map((n) => n.id),
          metrics: config.observability.metrics.enabled ? `${gw.url}/metrics` : null,
          dashboard: `${gw.url}/ui`,
          baselinesSeeded: seeded.length,
        },
        'gateway started',
      );
      g.out.result(
        { url: gw.url, dashboard: `${gw.url}/ui`, baselinesSeeded: seeded.length },
        `BROKE gateway on ${gw.url} (${seeded.length} baseline priors); dashboard: ${gw.url}/ui`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          void Promise.all([monitor.stop(), gw.close(), pool.closeAll()]).then(() => resolve());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

/** The config with prompts logged or not, as --log-prompts says (the gateway reads it there). */
function withLogPrompts<T extends { observability: { log: { prompts: boolean } } }>(
  config: T,
  prompts: boolean,
): T {
  return {
    ...config,
    observability: { ...config.observability, log: { ...config.observability.log, prompts } },
  };
}
