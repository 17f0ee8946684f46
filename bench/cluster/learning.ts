// Learning curve and model-swap experiment, in the discrete-event simulator (the real router
// code, the same workload, node model and judge as bench/cluster/run.ts, in virtual time).
//   npx tsx bench/cluster/learning.ts [--seeds 1,2,3] [--out bench/results/cluster-learning]
// Writes <out>.md and <out>.svg (both or neither).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { simulation } from '../../packages/core/src/index.js';

const { generateWorkload, macCluster, simulate } = simulation;
type SimRecord = simulation.SimRecord;

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: 'bench/results/cluster-learning' },
    profile: { type: 'string', default: 'broke-quality' },
  },
});
const seeds = (args.seeds as string).split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s))) {
  process.stderr.write(`error: --seeds must be whole numbers, got "${args.seeds}"\n`);
  process.exit(2);
}
const outBase = resolve(args.out as string);
const profile = args.profile as string;
const WINDOW = 25;
const profiles = macCluster();
const largest = profiles.reduce((a, b) => (a.model.parameters >= b.model.parameters ? a : b));

/** Mean of `pick` over records judged in [from, to). */
function windowMean(
  records: readonly SimRecord[],
  from: number,
  to: number,
  pick: (r: SimRecord) => number,
): number {
  const inside = records.filter((r) => r.judgedIndex >= from && r.judgedIndex < to);
  return inside.length ? inside.reduce((s, r) => s + pick(r), 0) / inside.length : Number.NaN;
}

// 1. Learning curve: a cold router (no warm-up), judged feedback on every answer; with the
// models' sizes in the config (the prior already knows a lot) and without (all "medium": quality
// has to be learned from the judge).
const curveRequests = 600;
const curve = (seed: number, untagged: boolean) => {
  const run = simulate({
    profiles,
    policy: { kind: 'broke', model: profile, seed, untagged },
    // A light load (one team of 5 agents): with little queueing, the quality per window shows what
    // the router knows rather than how busy the big model is.
    workload: generateWorkload({ seed, teams: 1, agentsPerTeam: 5, requests: curveRequests, idPrefix: 'c' }),
    judgeSeed: seed,
  });
  const points: number[] = [];
  for (let w = 0; w < curveRequests; w += WINDOW)
    points.push(windowMean(run.records, w, w + WINDOW, (r) => r.quality));
  const hard: number[] = [];
  for (let w = 0; w < curveRequests; w += WINDOW)
    hard.push(
      windowMean(
        run.records.filter((r) => r.difficultyClass === 'hard'),
        w,
        w + WINDOW,
        (r) => r.quality,
      ),
    );
  const final = windowMean(run.records, curveRequests - 200, curveRequests, (r) => r.quality);
  const reachedAt = points.findIndex((q) => q >= 0.95 * final);
  return {
    seed,
    untagged,
    points,
    hard,
    final,
    reached: reachedAt < 0 ? Number.NaN : (reachedAt + 1) * WINDOW,
  };
};
const curves = [...seeds.map((s) => curve(s, false)), ...seeds.map((s) => curve(s, true))];

// 2. Swap: the largest model becomes much worse (same name, same speed) after 200 judged requests.
const swapAt = 200;
const swapRequests = 500;
const swapProfiles = ['broke-quality', 'broke-balanced'];
const hardWork = (r: SimRecord) => (r.difficultyClass !== 'easy' ? 1 : 0);
const swaps = swapProfiles.flatMap((swapProfile) =>
  seeds.map((seed) => {
    const run = simulate({
      profiles,
      policy: { kind: 'broke', model: swapProfile, seed },
      workload: generateWorkload({ seed, requests: swapRequests, idPrefix: 's' }),
      warmup: generateWorkload({ seed: seed + 1000, requests: 40, idPrefix: 'w' }),
      judgeSeed: seed,
      swap: { modelId: largest.model.id, afterJudged: swapAt },
    });
    // Share of the medium and hard work (what the weakened model can no longer do) it still gets,
    // by when the request was routed: one routed before the swap was decided without evidence.
    const share = (from: number, to: number) => {
      const work = run.records.filter(
        (r) => r.routedAtJudged >= from && r.routedAtJudged < to && hardWork(r),
      );
      return work.length
        ? work.filter((r) => r.modelId === largest.model.id).length / work.length
        : Number.NaN;
    };
    const points: number[] = [];
    for (let w = 0; w < swapRequests; w += WINDOW) points.push(share(w, w + WINDOW));
    return {
      seed,
      profile: swapProfile,
      points,
      before: share(swapAt - 100, swapAt),
      within50: share(swapAt + 25, swapAt + 50),
      after: share(swapAt + 50, swapAt + 150),
    };
  }),
);

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function polyline(series: number[][], color: string[], yMax: number, label: string, marker?: number): string {
  const W = 640;
  const H = 260;
  const pad = 40;
  const n = Math.max(...series.map((s) => s.length));
  const x = (i: number) => pad + ((W - 2 * pad) * i) / Math.max(1, n - 1);
  const y = (v: number) => H - pad - ((H - 2 * pad) * v) / yMax;
  const lines = series
    .map(
      (s, k) =>
        `<polyline fill="none" stroke="${color[k % color.length]}" stroke-width="2" points="${s
          .map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : ''))
          .filter(Boolean)
          .join(' ')}"/>`,
    )
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => `<text x="4" y="${y(t * yMax) + 4}" font-size="11">${(t * yMax).toFixed(2)}</text>`)
    .join('');
  const swapLine =
    marker === undefined
      ? ''
      : `<line x1="${x(marker)}" x2="${x(marker)}" y1="${pad}" y2="${H - pad}" stroke="#999" stroke-dasharray="4 3"/><text x="${x(marker) + 4}" y="${pad + 12}" font-size="11">swap</text>`;
  return `<g><text x="${pad}" y="16" font-size="13">${label}</text><line x1="${pad}" x2="${W - pad}" y1="${H - pad}" y2="${H - pad}" stroke="#333"/><line x1="${pad}" x2="${pad}" y1="${pad}" y2="${H - pad}" stroke="#333"/>${ticks}${swapLine}${lines}<text x="${W / 2 - 80}" y="${H - 8}" font-size="11">judged requests (windows of ${WINDOW})</text></g>`;
}

const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="810" font-family="sans-serif">${polyline(
  curves.filter((c) => !c.untagged).map((c) => c.points),
  colors,
  1,
  `${profile}, sizes in the config: mean judged quality per window (a line per seed)`,
)}<g transform="translate(0,270)">${polyline(
  curves.filter((c) => c.untagged).map((c) => c.points),
  colors,
  1,
  `${profile}, sizes unknown (all "medium"): mean judged quality per window`,
)}</g><g transform="translate(0,540)">${polyline(
  swaps.filter((s) => s.profile === 'broke-quality').map((s) => s.points),
  colors,
  1,
  `broke-quality: share of medium/hard work on ${largest.model.id}; weakened after ${swapAt}`,
  swapAt / WINDOW,
)}</g></svg>\n`;

const la = os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' / ');
const md = [
  '# Learning curve and model swap (simulated)',
  '',
  `- date: ${new Date().toISOString()}; machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length} cores; load ${la}`,
  `- command: \`npx tsx bench/cluster/learning.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}\``,
  `- the discrete-event simulator (\`broke-cluster simulate\`'s engine): the four Mac presets ×20, closed-loop agents, judged feedback on every answer; learning curve under ${profile} (the profile that chases quality, so the curve shows what the router has learned about it), swap under quality and balanced; seeds ${seeds.join(', ')}`,
  '',
  '## Learning curve',
  '',
  `A cold router (no warm-up, no speed baselines) on ${curveRequests} requests from one team of 5 closed-loop agents (a light load, so the windows show what the router knows more than how busy the big model is), judged feedback on every answer. "sizes": whether the config tells the router each model's size (its prior then already ranks them; without it every model looks the same until the judge says otherwise). Final: the mean judged quality of the last 200; "reaches 95%": the first window of ${WINDOW} whose mean is at least 95% of that.`,
  '',
  '| seed | sizes | final quality | reaches 95% of it after | windows (mean quality per 25 judged) |',
  '| ---: | --- | ---: | ---: | --- |',
  ...curves.map(
    (c) =>
      `| ${c.seed} | ${c.untagged ? 'unknown' : 'in config'} | ${f(c.final)} | ${Number.isFinite(c.reached) ? `${c.reached} judged` : 'never'} | ${c.points.map((p) => f(p, 2)).join(' ')} |`,
  ),
  '',
  'Mean quality of the hard requests per window of 25 judged, sizes unknown (what learning has to find):',
  '',
  ...curves.filter((c) => c.untagged).map((c) => `- seed ${c.seed}: ${c.hard.map((p) => f(p, 2)).join(' ')}`),
  '',
  '## Model swap',
  '',
  `After ${swapAt} judged requests (after a 40-request warm-up) ${largest.model.id} on ${largest.id} answers much worse under the same name and speed (oracle \`weakened\`: 0.45 / 0.25 / 0.08 for easy / medium / hard). The share of the medium and hard work routed to it, by when the request was routed (counted in judged requests):`,
  '',
  `| profile | seed | 100 before the swap | judged ${swapAt + 25}–${swapAt + 50} | judged ${swapAt + 50}–${swapAt + 150} | fell by (within 50) |`,
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...swaps.map(
    (s) =>
      `| ${s.profile} | ${s.seed} | ${f(s.before, 2)} | ${f(s.within50, 2)} | ${f(s.after, 2)} | ${f(100 * (1 - s.within50 / s.before), 0)}% |`,
  ),
  ...swapProfiles.map((p) => {
    const rows = swaps.filter((s) => s.profile === p);
    const before = mean(rows.map((s) => s.before));
    const within = mean(rows.map((s) => s.within50));
    return `| ${p} | mean | ${f(before, 2)} | ${f(within, 2)} | ${f(mean(rows.map((s) => s.after)), 2)} | ${f(100 * (1 - within / before), 0)}% |`;
  }),
  '',
  `![learning curve and swap](${outBase.split('/').pop()}.svg)`,
  '',
].join('\n');

mkdirSync(dirname(outBase), { recursive: true });
writeFileSync(`${outBase}.svg.tmp`, svg);
writeFileSync(`${outBase}.md.tmp`, md);
renameSync(`${outBase}.svg.tmp`, `${outBase}.svg`);
renameSync(`${outBase}.md.tmp`, `${outBase}.md`);
process.stdout.write(md);
