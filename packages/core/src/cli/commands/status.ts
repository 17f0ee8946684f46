import type { Command } from 'commander';
import { ClusterMonitor } from '../../cluster/monitor.js';
import type { NodeState } from '../../cluster/node-state.js';
import { sshMemoryProbe } from '../../cluster/ssh-memory.js';
import type { BrokeConfig } from '../../config/schema.js';
import { SshPool } from '../../ssh/pool.js';
import { readConfigFile } from '../config-file.js';
import { globals } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { milliseconds, positiveCount } from '../flags.js';
import { table } from '../output.js';

interface StatusOptions {
  watch?: boolean;
  interval?: number;
  count?: number;
  validate: boolean;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('table of nodes, models and queues (--watch to keep polling)')
    .option('-w, --watch', 'keep polling and redraw (JSON lines with --json)')
    .option('--interval <ms>', 'poll interval (default: monitor.intervalMs)', milliseconds)
    .option('--count <n>', 'with --watch: stop after n polls', positiveCount)
    .option('--no-validate', 'skip the probe generation per model')
    .action(async (opts: StatusOptions, cmd: Command) => {
      const g = globals(cmd);
      const { config } = readConfigFile(g.config);
      const monitorCfg = {
        ...config.monitor,
        ...(opts.interval ? { intervalMs: opts.interval } : {}),
      };
      const pool = new SshPool();
      const monitor = new ClusterMonitor({
        nodes: config.nodes,
        monitor: monitorCfg,
        validate: opts.validate,
        memoryProbe: sshMemoryProbe(pool),
      });
      try {
        if (opts.watch) await watch(g, config, monitor, opts.count ?? Number.POSITIVE_INFINITY);
        else {
          await monitor.pollOnce();
          print(g, config, monitor.state.nodes());
          if (monitor.state.nodes().some((n) => !n.up)) process.exitCode = EXIT.failed;
        }
      } finally {
        await pool.closeAll();
      }
    });
}

/** Redraw (TTY) or append (pipe, JSON lines) after every poll round until SIGINT/SIGTERM or `max` rounds. */
function watch(
  g: ReturnType<typeof globals>,
  config: BrokeConfig,
  monitor: ClusterMonitor,
  max: number,
): Promise<void> {
  let polls = 0;
  return new Promise<void>((resolve) => {
    const done = () => {
      void monitor.stop().then(resolve);
    };
    monitor.on('poll', ({ states }) => {
      polls += 1;
      if (g.out.tty) g.out.raw('\x1b[2J\x1b[H');
      if (!g.json) g.out.raw(`${new Date().toISOString()}\n`);
      print(g, config, states, true);
      if (polls >= max) done();
    });
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    monitor.start();
  });
}

function print(
  g: ReturnType<typeof globals>,
  config: BrokeConfig,
  states: readonly NodeState[],
  line = false,
): void {
  const data = states.map((s) => ({
    id: s.id,
    up: s.up,
    kind: config.nodes.find((n) => n.id === s.id)?.kind,
    validatedModels: s.validatedModels ?? [],
    loadedModels: s.loadedModels,
    inFlight: s.inFlight,
    queued: s.queued,
    memory: s.memory,
    lastSeen: s.lastSeen,
  }));
  if (g.json) {
    if (line) g.out.jsonLine({ at: new Date().toISOString(), nodes: data });
    else g.out.result({ nodes: data }, '');
    return;
  }
  const rows = data.map((d) => [
    d.id,
    d.up ? 'up' : 'DOWN',
    d.kind ?? '',
    d.validatedModels.join(', '),
    (d.loadedModels ?? []).map((m) => m.split('/').pop() ?? m).join(', '),
    String(d.queued),
    String(d.inFlight),
    d.memory?.freeGb !== undefined
      ? `${d.memory.freeGb} GiB free`
      : d.memory?.totalGb
        ? `${d.memory.totalGb} GiB`
        : '',
  ]);
  g.out.raw(
    `${table(['node', 'state', 'kind', 'validated', 'loaded', 'queue', 'in-flight', 'memory'], rows)}\n`,
  );
}
