// Routing evaluation harness: a labelled trace (generated from a seed) replayed through BROKE's
// real Router, against the oracle, random and single models; quality at cost (PGR, APGR) and
// regret over time.
//   npx tsx bench/eval/run.ts [--seed 1] [--requests 1000] [--out bench/results/evaluation]
//                             [--trace-out trace.jsonl]
// Writes <out>.md and <out>.svg, each to a temporary file renamed at the end (both or neither);
// --trace-out also writes the trace itself as JSON lines (a header line, then one item a line).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_LATENCY_WEIGHTS,
  evaluateRouting,
  frontier,
  generateTrace,
  SUCCESS_THRESHOLD,
} from '../../packages/core/src/evaluation/index.js';
import { macCluster } from '../../packages/core/src/simulation/hardware.js';
import { type Series, svg } from './plot.js';

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

let args: { seed: string; requests: string; out: string; 'trace-out'?: string };
try {
  args = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      requests: { type: 'string', default: '1000' },
      out: { type: 'string', default: 'bench/results/evaluation' },
      'trace-out': { type: 'string' },
    },
  }).values as typeof args;
} catch (err) {
  fail((err as Error).message);
}
const seed = Number(args.seed);
const requests = Number(args.requests);
if (!Number.isInteger(seed)) fail(`--seed must be a whole number, got "${args.seed}"`);
if (!Number.isInteger(requests) || requests < 20)
  fail(`--requests must be a whole number ≥ 20, got "${args.requests}"`);
const outBase = resolve(args.out);

const profiles = macCluster();
const started = performance.now();
const trace = generateTrace({ seed, requests, profiles });
const report = await evaluateRouting(trace, { profiles, seed });
const wallSec = (performance.now() - started) / 1000;

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const { scale } = report;
const all = [report.oracle, ...report.policies];
const COLORS: Record<string, string> = {
  oracle: '#111827',
  'broke (sizes in config)': '#1f6feb',
  'broke (sizes unknown)': '#7c3aed',
  random: '#d97706',
  'best single model': '#16a34a',
};

// Top: every policy's curve (its frontier) and measured points; the oracle as a line only.
const sampled = (curve: Array<[number, number]>) => {
  const out: Array<[number, number]> = [];
  const step = Math.max(1, Math.floor(curve.length / 300));
  curve.forEach((p, i) => {
    if (i % step === 0 || i === curve.length - 1) out.push(p);
  });
  const last = out[out.length - 1];
  if (last && last[0] < 1) out.push([1, last[1]]);
  return out;
};
const curves: Series[] = all.map((p) => ({
  label: `${p.policy} (APGR ${f(p.apgr)})`,
  color: COLORS[p.policy] ?? '#6b7280',
  line: sampled(frontier(p.points)),
  ...(p.policy === 'oracle'
    ? { dashed: true }
    : { dots: p.points.map((q) => [q.cost, q.pgr] as [number, number]) }),
}));
const pgrs = all.flatMap((p) => p.points.map((q) => q.pgr));
const REGRET_COLORS = ['#1f6feb', '#60a5fa', '#7c3aed', '#c4b5fd'];
const regretSeries: Series[] = report.regret.map((r, i) => ({
  label: r.policy,
  color: REGRET_COLORS[i % REGRET_COLORS.length] as string,
  line: r.curve.quality.cumulative.map((v, k) => [k + 1, v] as [number, number]),
}));
const regretMax = Math.max(0.01, ...report.regret.flatMap((r) => r.curve.quality.cumulative));
const regretMin = Math.min(0, ...report.regret.flatMap((r) => r.curve.quality.cumulative));
const figure = svg([
  {
    title: `PGR vs cost, seed ${seed}, ${trace.items.length} requests (dots: measured points)`,
    xLabel: `cost (0 = all on ${scale.weakest.id}, 1 = all on ${scale.strongest.id})`,
    yLabel: 'PGR — performance gap recovered',
    x: [0, 1],
    y: [Math.min(0, ...pgrs), Math.max(1.05, ...pgrs)],
    series: curves,
  },
  {
    title: 'Cumulative regret vs the oracle at the same cost (quality)',
    xLabel: 'request index in the trace',
    yLabel: 'cumulative quality regret',
    x: [0, trace.items.length],
    y: [regretMin, regretMax * 1.05],
    series: regretSeries,
  },
]);

const la = os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' / ');
const command = `npx tsx bench/eval/run.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
const best = (name: string) => {
  const p = all.find((x) => x.policy === name);
  return p ? p.points.reduce((a, b) => (b.quality > a.quality ? b : a)) : undefined;
};
const md = [
  '# Routing evaluation: quality at cost and regret (labelled trace replay)',
  '',
  `- date: ${new Date().toISOString()}; machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length} cores; load ${la}; ${f(wallSec, 1)} s`,
  `- command: \`${command}\``,
  `- trace: seed ${seed}, ${trace.items.length} requests from 4 teams × 5 agents (\`simulation/workload.ts\`), each labelled for every model by the simulation's judge (oracle quality per size × hidden difficulty + noise 0.05; success = score ≥ ${SUCCESS_THRESHOLD}); models ${trace.models.map((m) => `${m.id} (${m.parameters}B, cost ${f(m.costPerToken, 3)}/token)`).join(', ')}`,
  `- replay (\`packages/core/src/evaluation/\`): the real Router on the four Mac presets, items in order, every node idle; after each decision the outcome (the time the node would take alone) and the label of the served model as judged feedback. One fresh router per latency weight λ (${DEFAULT_LATENCY_WEIGHTS.join(', ')}), with model sizes in the config and without`,
  `- cost: per-token price ∝ parameters × (prompt + answer tokens), scaled 0 = everything on ${scale.weakest.id}, 1 = everything on ${scale.strongest.id}; PGR = (quality − ${f(scale.weakQuality)}) / (${f(scale.strongQuality)} − ${f(scale.weakQuality)}); APGR = area under each policy's PGR-vs-cost frontier over 0..1 (from (0, 0), linear between its points, flat after the last), as RouteLLM reports it`,
  "- oracle: knows every label; best model per prompt within each budget (the exact envelope of the multiple-choice knapsack); random: RouteLLM's random router (the strongest model with probability p, else the weakest)",
  '',
  '| policy | APGR | points | best quality (its cost, PGR, strong share, success) |',
  '| --- | ---: | ---: | --- |',
  ...all.map((p) => {
    const b = best(p.policy);
    return `| ${p.policy} | ${f(p.apgr)} | ${p.points.length} | ${b ? `${f(b.quality)} (${f(b.cost, 2)}, ${f(b.pgr, 2)}, ${f(b.strongShare, 2)}, ${f(b.successRate, 2)})` : '–'} |`;
  }),
  '',
  '## Operating points',
  '',
  '| policy | setting | cost | PGR | quality | strong share | success |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...report.policies.flatMap((p) =>
    p.points.map(
      (q) =>
        `| ${p.policy} | ${q.setting} | ${f(q.cost)} | ${f(q.pgr)} | ${f(q.quality)} | ${f(q.strongShare, 2)} | ${f(q.successRate, 2)} |`,
    ),
  ),
  '',
  '## Regret over time',
  '',
  "Per request, the oracle's quality at the router's own cost minus the routed quality (quality regret); priced regret also charges the cost difference at the oracle's exchange rate at that budget (never negative). Means over the first and the second half of the trace: a router that learns regrets less later.",
  '',
  '| policy | cost | quality | quality regret 1st half | 2nd half | total | priced regret 1st half | 2nd half |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...report.regret.map(
    (r) =>
      `| ${r.policy} | ${f(r.point.cost)} | ${f(r.point.quality)} | ${f(r.curve.quality.firstHalfMean, 4)} | ${f(r.curve.quality.secondHalfMean, 4)} | ${f(r.curve.quality.cumulative.at(-1) ?? Number.NaN, 1)} | ${f(r.curve.priced.firstHalfMean, 4)} | ${f(r.curve.priced.secondHalfMean, 4)} |`,
  ),
  '',
  `![quality vs cost and regret](${basename(outBase)}.svg)`,
  '',
].join('\n');

mkdirSync(dirname(outBase), { recursive: true });
const tmpSvg = `${outBase}.svg.tmp-${process.pid}`;
const tmpMd = `${outBase}.md.tmp-${process.pid}`;
writeFileSync(tmpSvg, figure);
writeFileSync(tmpMd, md);
if (args['trace-out']) {
  const path = resolve(args['trace-out']);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(
    tmp,
    [
      JSON.stringify({ seed: trace.seed, models: trace.models }),
      ...trace.items.map((i) => JSON.stringify(i)),
      '',
    ].join('\n'),
  );
  renameSync(tmp, path);
}
renameSync(tmpSvg, `${outBase}.svg`);
renameSync(tmpMd, `${outBase}.md`);
process.stdout.write(md);
