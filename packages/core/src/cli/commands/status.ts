import type { Command } from 'commander';
import { ClusterMonitor } from '../../cluster/monitor.js';
import { sshMemoryProbe } from '../../cluster/ssh-memory.js';
import { type StatusReport, statusReport } from '../../cluster/status-report.js';
import type { BrokeConfig } from '../../config/schema.js';
import { NodeError } from '../../errors.js';
import { SshPool } from '../../ssh/pool.js';
import { readConfigFile } from '../config-file.js';
import { globals } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { milliseconds, positiveCount } from '../flags.js';
import { askGateway, gatewayUrlFor } from '../gateway-status.js';
import { table } from '../output.js';

interface StatusOptions {
  watch?: boolean;
  interval?: number;
  count?: number;
  validate: boolean;
  /** A URL, false for --no-gateway, undefined for "where serve would listen". */
  gateway?: string | false;
}

/** Where a report came from: the running gateway's live state, or this command's own poll. */
type Source = { kind: 'gateway'; url: string } | { kind: 'probe'; why: string };

type G = ReturnType<typeof globals>;

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'nodes, models, queues and last errors: from the running gateway when there is one, else by polling the nodes (--watch to keep going)',
    )
    .option('-w, --watch', 'keep polling and redraw (JSON lines with --json)')
    .option('--interval <ms>', 'poll interval (default: monitor.intervalMs)', milliseconds)
    .option('--count <n>', 'with --watch: stop after n polls', positiveCount)
    .option('--no-validate', 'when polling the nodes: skip the probe generation per model')
    .option(
      '--gateway <url>',
      'ask this gateway (default: where `serve` listens: BROKE_HOST/BROKE_PORT, gateway.*)',
    )
    .option('--no-gateway', 'poll the nodes directly even when a gateway runs')
    .action(async (opts: StatusOptions, cmd: Command) => {
      const g = globals(cmd);
      const { config } = readConfigFile(g.config);
      const named = typeof opts.gateway === 'string';
      const url =
        opts.gateway === false
          ? undefined
          : gatewayUrlFor(config, named ? (opts.gateway as string) : undefined);
      const first = url ? await askGateway(url, config) : undefined;
      // A gateway the user named must answer; the default one is asked only if it runs.
      if (named && first && !first.ok)
        throw new NodeError('gateway', first.reason, {
          code: 'node_gateway_unreachable',
          hint: 'start it with `broke-cluster serve`, or drop --gateway to poll the nodes',
        });
      const intervalMs = opts.interval ?? config.monitor.intervalMs;
      const max = opts.watch ? (opts.count ?? Number.POSITIVE_INFINITY) : 1;
      if (url && first?.ok) {
        await fromGateway(g, config, url, first.report, intervalMs, max, Boolean(opts.watch));
        return;
      }
      const why =
        opts.gateway === false
          ? '--no-gateway'
          : first && !first.ok
            ? first.reason
            : 'no gateway port configured';
      await fromProbe(g, config, opts, intervalMs, max, why);
    });
}

/** The gateway's own view, asked again every interval while watching. */
async function fromGateway(
  g: G,
  config: BrokeConfig,
  url: string,
  report: StatusReport,
  intervalMs: number,
  max: number,
  watching: boolean,
): Promise<void> {
  const source: Source = { kind: 'gateway', url };
  if (!watching) {
    print(g, config, report, source);
    if (report.nodes.some((n) => !n.up)) process.exitCode = EXIT.failed;
    return;
  }
  let stop = false;
  const done = () => {
    stop = true;
  };
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
  let current: StatusReport | undefined = report;
  for (let polls = 0; !stop && polls < max; ) {
    if (current) {
      redraw(g);
      print(g, config, current, source, true);
      polls += 1;
    }
    if (stop || polls >= max) break;
    await new Promise((r) => setTimeout(r, intervalMs));
    const next = await askGateway(url, config);
    if (!next.ok) g.out.warn(next.reason);
    current = next.ok ? next.report : undefined;
  }
}

/** No gateway: one look at every node from here (the monitor's poll, probe generations). */
async function fromProbe(
  g: G,
  config: BrokeConfig,
  opts: StatusOptions,
  intervalMs: number,
  max: number,
  why: string,
): Promise<void> {
  const source: Source = { kind: 'probe', why };
  const pool = new SshPool();
  const monitor = new ClusterMonitor({
    nodes: config.nodes,
    monitor: { ...config.monitor, intervalMs },
    validate: opts.validate,
    memoryProbe: sshMemoryProbe(pool),
  });
  try {
    if (!opts.watch) {
      await monitor.pollOnce();
      const report = statusReport(monitor.state.nodes());
      print(g, config, report, source);
      if (report.nodes.some((n) => !n.up)) process.exitCode = EXIT.failed;
      return;
    }
    let polls = 0;
    await new Promise<void>((resolve) => {
      const done = () => {
        void monitor.stop().then(resolve);
      };
      monitor.on('poll', ({ states }) => {
        polls += 1;
        redraw(g);
        print(g, config, statusReport(states), source, true);
        if (polls >= max) done();
      });
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      monitor.start();
    });
  } finally {
    await pool.closeAll();
  }
}

/** On a terminal --watch redraws the screen; piped, it appends. */
function redraw(g: G): void {
  if (g.out.tty) g.out.raw('\x1b[2J\x1b[H');
  if (!g.json) g.out.raw(`${new Date().toISOString()}\n`);
}

const ago = (at: number, now: number) => {
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
};

const clip = (s: string, n = 90) => (s.length > n ? `${s.slice(0, n)}…` : s);

function print(g: G, config: BrokeConfig, report: StatusReport, source: Source, line = false): void {
  const kindOf = (id: string) => config.nodes.find((n) => n.id === id)?.kind;
  const nodes = report.nodes.map((n) => ({ ...n, kind: kindOf(n.id) }));
  const data = {
    source: source.kind,
    ...(source.kind === 'gateway' ? { gateway: source.url } : { probed: source.why }),
    nodes,
    quality: report.quality,
    ...(report.escalation ? { escalation: report.escalation } : {}),
  };
  if (g.json) {
    if (line) g.out.jsonLine({ at: new Date(report.at).toISOString(), ...data });
    else g.out.result(data, '');
    return;
  }
  const head =
    source.kind === 'gateway'
      ? `from the gateway at ${source.url}`
      : `polled the nodes from here (${source.why}); in-flight and waiting are the gateway's and read 0`;
  const rows = nodes.map((d) => [
    d.id,
    d.up ? (d.coolingDownUntil ? 'up, cooling down' : 'up') : 'DOWN',
    d.kind ?? '',
    d.validatedModels.join(', '),
    (d.loadedModels ?? []).map((m) => m.split('/').pop() ?? m).join(', '),
    String(d.inFlight),
    String(d.waiting),
    String(d.queued),
    d.memory?.freeGb !== undefined
      ? `${d.memory.freeGb} GiB free`
      : d.memory?.totalGb
        ? `${d.memory.totalGb} GiB`
        : '',
    d.lastError ? `${clip(d.lastError.message)} (${ago(d.lastError.at, report.at)})` : '',
  ]);
  const parts = [
    head,
    table(
      [
        'node',
        'state',
        'kind',
        'validated',
        'loaded',
        'in-flight',
        'waiting',
        'queued',
        'memory',
        'last error',
      ],
      rows,
    ),
  ];
  if (report.quality.length)
    parts.push(
      '',
      'learned quality (all teams, roles and task types):',
      table(
        ['model', 'difficulty', 'evidence', 'mean'],
        report.quality.map((q) => [q.modelId, q.band, String(q.evidence), q.mean.toFixed(2)]),
      ),
    );
  if (report.escalation?.teams.length)
    parts.push(
      '',
      `escalation spend today (${report.escalation.day}, UTC):`,
      table(
        ['team', 'spent', 'budget', 'in flight'],
        report.escalation.teams.map((t) => [t.team, money(t.spent), money(t.budget), money(t.reserved)]),
      ),
    );
  g.out.raw(`${parts.join('\n')}\n`);
}

const money = (x: number) => String(Number(x.toFixed(6)));
