import { cpus, loadavg } from 'node:os';
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import {
  type PlannedRun,
  runPlan,
  SIM_POLICIES,
  type SimulationPlan,
} from '../../simulation/run-policies.js';
import { writeFileAtomic } from '../atomic-write.js';
import { globals } from '../context.js';
import { count, positiveCount, positiveNumber } from '../flags.js';
import { table } from '../output.js';

interface SimulateOptions {
  nodes: number;
  agents: number;
  requests: number;
  warmup: number;
  seed: number;
  speedup: number;
  policies: string;
  swap?: string;
  out?: string;
}

/** The plan from the command line (numbers were checked by their flags' parsers). */
export function planFrom(opts: SimulateOptions): SimulationPlan {
  const policies = opts.policies
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const known = new Set<string>(SIM_POLICIES);
  const unknown = policies.filter((p) => !known.has(p));
  if (unknown.length || policies.length === 0)
    throw new ValidationError(`unknown policy ${unknown.map((p) => `"${p}"`).join(', ') || '(none given)'}`, {
      hint: `use a comma-separated list of ${SIM_POLICIES.join(', ')}`,
    });
  const plan: SimulationPlan = {
    nodes: opts.nodes,
    agents: opts.agents,
    requests: opts.requests,
    warmup: opts.warmup,
    seed: opts.seed,
    speedup: opts.speedup,
    policies,
  };
  if (opts.swap !== undefined) {
    const m = /^(.+)@(\d+)$/.exec(opts.swap);
    if (!m)
      throw new ValidationError(
        `--swap must be MODEL@JUDGED (e.g. llama-3.3-70b-q4@100), got "${opts.swap}"`,
      );
    plan.swap = { modelId: m[1] as string, afterJudged: Number(m[2]) };
  }
  return plan;
}

/** The runs as a Markdown report: how it was run, then one row per policy. */
export function markdownReport(plan: SimulationPlan, runs: readonly PlannedRun[]): string {
  const rows = runs.map(({ summary: s, wallSec }) => [
    s.policy,
    s.makespanSec.toFixed(1),
    s.p50Sec.toFixed(2),
    s.p95Sec.toFixed(2),
    s.meanQuality.toFixed(3),
    `${(100 * s.hardToLarge).toFixed(0)}%`,
    String(s.rejected),
    wallSec.toFixed(2),
  ]);
  const head = [
    'policy',
    'makespan s',
    'p50 s',
    'p95 s',
    'mean quality',
    'hard → largest',
    '429s',
    'sim wall s',
  ];
  const [load1, load5, load15] = loadavg();
  return [
    '# Simulated cluster (discrete-event, virtual time)',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; load ${load1?.toFixed(2)} / ${load5?.toFixed(2)} / ${load15?.toFixed(2)}`,
    `- Cluster: ${plan.nodes} nodes (Mac presets ×${plan.speedup}), ${plan.agents} closed-loop agents, ${plan.requests} measured requests after ${plan.warmup} judged warm-up requests (BROKE only), seed ${plan.seed}${plan.swap ? `, ${plan.swap.modelId} weakened after ${plan.swap.afterJudged} judged requests` : ''}`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'compare routing policies on a simulated cluster and agent workload in virtual time (the real router code, no sockets)',
    )
    .option('--nodes <n>', 'nodes (4: the Mac presets; more: a mix of them)', positiveCount, 4)
    .option('--agents <n>', 'closed-loop agents (teams of 5)', positiveCount, 20)
    .option('--requests <n>', 'measured requests', positiveCount, 300)
    .option('--warmup <n>', 'judged warm-up requests before measuring (BROKE policies)', count, 40)
    .option('--seed <n>', 'workload, judge and router seed', count, 1)
    .option(
      '--speedup <x>',
      'node speed multiplier over the real machines',
      positiveNumber('a speed multiplier'),
      20,
    )
    .option('--policies <list>', `comma-separated: ${SIM_POLICIES.join(', ')}`, SIM_POLICIES.join(','))
    .option('--swap <model@n>', 'weaken MODEL (same name and speed) after n judged requests')
    .option('-o, --out <file>', 'also write the Markdown report to this file')
    .action((opts: SimulateOptions, cmd: Command) => {
      const g = globals(cmd);
      const plan = planFrom(opts);
      const runs = runPlan(plan, (run) => g.out.info(`${run.summary.policy}: ${run.wallSec.toFixed(2)} s`));
      const report = markdownReport(plan, runs);
      if (opts.out) {
        writeFileAtomic(opts.out, report);
      }
      const summaries = runs.map((r) => r.summary);
      g.out.result(
        { plan, results: summaries },
        table(
          ['policy', 'makespan s', 'p95 s', 'quality', 'hard→largest', '429s'],
          summaries.map((s) => [
            s.policy,
            s.makespanSec.toFixed(1),
            s.p95Sec.toFixed(2),
            s.meanQuality.toFixed(3),
            `${(100 * s.hardToLarge).toFixed(0)}%`,
            String(s.rejected),
          ]),
        ),
      );
    });
}
