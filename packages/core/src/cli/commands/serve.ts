import type { Command } from 'commander';
import { baselineBaseDir, loadBaselines } from '../../cluster/baselines.js';
import { ClusterState } from '../../cluster/cluster-state.js';
import { ClusterMonitor } from '../../cluster/monitor.js';
import { sshMemoryProbe } from '../../cluster/ssh-memory.js';
import { BrokeError } from '../../errors.js';
import { SshPool } from '../../ssh/pool.js';
import { readConfigFile } from '../config-file.js';
import { globals } from '../context.js';

type StartGateway = (o: {
  config: unknown;
  cluster?: ClusterState;
  host?: string;
  port?: number;
}) => Promise<{ url: string; close(): Promise<void> }>;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the gateway with the cluster monitor and baseline priors')
    .option('--host <host>', 'bind address (default: gateway.host)')
    .option('--port <port>', 'port (default: gateway.port)')
    .action(async (opts: { host?: string; port?: string }, cmd: Command) => {
      const g = globals(cmd);
      const file = readConfigFile(g.config);
      // Loaded by name so the CLI builds even where the gateway module is absent.
      const http = (await import('../../http/index.js' as string).catch(() => undefined)) as
        | { startGateway?: StartGateway }
        | undefined;
      if (!http?.startGateway)
        throw new BrokeError('not_available', 'the gateway is not part of this build yet', {
          hint: 'update @broke/core; `status` and `validate` work without it',
        });
      const cluster = new ClusterState(file.config.nodes);
      const seeded = await loadBaselines(file.config.baselines, cluster, {
        baseDir: baselineBaseDir(file.path),
        nodes: file.config.nodes,
      });
      const pool = new SshPool();
      const monitor = new ClusterMonitor({
        nodes: file.config.nodes,
        monitor: file.config.monitor,
        state: cluster,
        memoryProbe: sshMemoryProbe(pool),
      });
      monitor.on('node-down', (e) => g.out.info(`node ${e.nodeId} down: ${e.error ?? ''}`));
      monitor.on('node-up', (e) =>
        g.out.info(`node ${e.nodeId} up (${(e.state.validatedModels ?? []).join(', ')})`),
      );
      await monitor.pollOnce();
      monitor.start();
      const gw = await http.startGateway({
        config: file.config,
        cluster,
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.port ? { port: Number(opts.port) } : {}),
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
