import type { Command } from 'commander';
import { clusterFromConfig } from '../../cluster/cluster-from-config.js';
import type { ClusterState } from '../../cluster/cluster-state.js';
import { sshMemoryProbe } from '../../cluster/ssh-memory.js';
import { hostFromEnv, portFromEnv } from '../../config/gateway-env.js';
import { BrokeError } from '../../errors.js';
import { SshPool } from '../../ssh/pool.js';
import { readConfigFile } from '../config-file.js';
import { globals } from '../context.js';
import { listenPort } from '../flags.js';

type StartGateway = (o: {
  config: unknown;
  cluster?: ClusterState;
  host?: string;
  port?: number;
  requestLog?: (line: unknown) => void;
}) => Promise<{ url: string; close(): Promise<void> }>;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the gateway with the cluster monitor and baseline priors')
    .option('--host <host>', 'bind address (default: $BROKE_HOST, else gateway.host)')
    .option('--port <port>', 'port (default: $BROKE_PORT, else gateway.port; 0: any free port)', listenPort)
    .option('--no-request-log', 'do not write the per-request JSON line to stdout')
    .action(async (opts: { host?: string; port?: number; requestLog: boolean }, cmd: Command) => {
      const g = globals(cmd);
      // Flags win over BROKE_HOST/BROKE_PORT, which win over gateway.host/port in the config.
      const host = opts.host ?? hostFromEnv();
      const port = opts.port ?? portFromEnv();
      const file = readConfigFile(g.config);
      // Loaded by name so the CLI builds even where the gateway module is absent.
      const http = (await import('../../http/index.js' as string).catch(() => undefined)) as
        | { startGateway?: StartGateway }
        | undefined;
      if (!http?.startGateway)
        throw new BrokeError('not_available', 'the gateway is not part of this build yet', {
          hint: 'update @broke/core; `status` and `validate` work without it',
        });
      const pool = new SshPool();
      const { cluster, monitor, seeded } = await clusterFromConfig(file.config, {
        configPath: file.path,
        memoryProbe: sshMemoryProbe(pool),
        onMonitor: (m) => {
          m.on('node-down', (e) => g.out.info(`node ${e.nodeId} down: ${e.error ?? ''}`));
          m.on('node-up', (e) =>
            g.out.info(`node ${e.nodeId} up (${(e.state.validatedModels ?? []).join(', ')})`),
          );
        },
      });
      monitor.start();
      const gw = await http.startGateway({
        config: file.config,
        cluster,
        ...(host ? { host } : {}),
        ...(port !== undefined ? { port } : {}),
        // One JSON line per request on stdout: route id, role, session, node, model, status, ms.
        ...(opts.requestLog
          ? { requestLog: (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`) }
          : {}),
      });
      g.out.result(
        { url: gw.url, baselinesSeeded: seeded.length },
        `BROKE gateway on ${gw.url} (${seeded.length} baseline priors)`,
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
