// Parallel agents of one run: teams that work in steps (every agent of a team sends at once and
// the team goes on when the last answer is in, as a crew's async tasks do), in the discrete-event
// simulator with the real router. BROKE with `routing.teamSlack: true` against the plain router (the
// default), each over a sweep of latency weights, so the two
// frontiers of team makespan against quality can be compared.
//
//   npx tsx bench/cluster/parallel-team.ts [--seeds 1,2,3] [--out bench/results/parallel-team]

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  generateWorkload,
  macCluster,
  simulate,
  summarise,
} from '../../packages/core/src/simulation/index.js';
import { type Series, svg } from '../eval/plot.js';
import { makespanAt } from './frontier.js';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: 'bench/results/parallel-team' },
  },
});
const seeds = (args.seeds as string).split(',').map((s) => Number(s.trim()));
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) {
  process.stderr.write(`error: --seeds takes comma-separated whole numbers, got "${args.seeds}"\n`);
  process.exit(2);
}
const LATENCY_WEIGHTS = [1, 0.6, 0.3, 0.1, 0.04, 0.02, 0.01, 0.005];
const profiles = macCluster({ speedup: 20 });

interface Point {
  latencyWeight: number;
  makespanSec: number;
  quality: number;
}

/** Mean over seeds of one arm at one latency weight. */
function measure(latencyWeight: number, slack: boolean): Point {
  let makespan = 0;
  let quality = 0;
  for (const seed of seeds) {
    const workload = generateWorkload({ seed, teams: 4, agentsPerTeam: 5, requests: 300 });
    const warmup = generateWorkload({
      seed: seed + 1000,
      teams: 4,
      agentsPerTeam: 5,
      requests: 40,
      idPrefix: 'w',
    });
    const result = simulate({
      profiles,
      policy: {
        kind: 'broke',
        model: 'broke-x',
        seed,
        profiles: { x: { latencyWeight } },
        teamSlack: slack,
      },
      workload,
      warmup,
      judgeSeed: seed,
      lockstep: true,
    });
    const s = summarise(result, profiles);
    makespan += s.makespanSec;
    quality += s.meanQuality;
  }
  return { latencyWeight, makespanSec: makespan / seeds.length, quality: quality / seeds.length };
}

const started = Date.now();
const withSlack = LATENCY_WEIGHTS.map((w) => measure(w, true));
const plain = LATENCY_WEIGHTS.map((w) => measure(w, false));

const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const [l1, l5, l15] = os.loadavg();
const rows = plain.map((p) => {
  const same = makespanAt(withSlack, p.quality);
  return `| ${p.latencyWeight} | ${f(p.makespanSec)} | ${f(p.quality, 3)} | ${f(same)} | ${same === undefined ? '–' : `${f(100 * (1 - same / p.makespanSec), 0)}%`} |`;
});
const md = [
  '# Parallel agents of one run: team makespan with and without the team-slack factor',
  '',
  `- date: ${new Date().toISOString()} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  `- machine: ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, load ${f(l1, 2)} / ${f(l5, 2)} / ${f(l15, 2)}`,
  `- command: \`npx tsx bench/cluster/parallel-team.ts --seeds ${seeds.join(',')}\``,
  "- what: the discrete-event simulator (virtual time, the real router), the four Mac presets ×20, 4 teams × 5 agents, 300 measured requests after 40 judged warm-up ones, feedback on every answer. **Lockstep**: every agent of a team sends at once and the team goes on when its last answer is in (a crew running its tasks in parallel); the team's requests share one session (the run). Means over seeds " +
    `${seeds.join(', ')}.`,
  "- arms: BROKE with `routing.teamSlack: true` (the `team-slack` factor: a request finishing before its run's other requests gains nothing, siblings on the same node slowed by it) against the plain router (the default), each at latency weights " +
    `${LATENCY_WEIGHTS.join(', ')} (the built-in profiles are 0.3 latency, 0.04 balanced, 0.005 quality).`,
  '',
  '| latency weight | with team-slack: makespan s | quality | plain router: makespan s | quality |',
  '| ---: | ---: | ---: | ---: | ---: |',
  ...LATENCY_WEIGHTS.map(
    (w, i) =>
      `| ${w} | ${f(withSlack[i]?.makespanSec)} | ${f(withSlack[i]?.quality, 3)} | ${f(plain[i]?.makespanSec)} | ${f(plain[i]?.quality, 3)} |`,
  ),
  '',
  'The same weight means a different trade in the two arms: the plain router charges each request its own latency, five times over for five agents waiting on one step, so at one weight it buys less quality. Compared at equal quality, each plain-router point against the team-slack frontier:',
  '',
  '| plain router at weight | makespan s | quality | team-slack frontier reaches that quality at s | team makespan saved |',
  '| ---: | ---: | ---: | ---: | ---: |',
  ...rows,
  '',
  '![team makespan against quality](parallel-team.svg)',
  '',
].join('\n');

const maxX = Math.max(...[...withSlack, ...plain].map((p) => p.makespanSec)) * 1.05;
const qs = [...withSlack, ...plain].map((p) => p.quality);
const line = (pts: Point[]) =>
  [...pts]
    .sort((a, b) => a.makespanSec - b.makespanSec)
    .map((p) => [p.makespanSec, p.quality] as [number, number]);
const series: Series[] = [
  { label: 'BROKE (team-slack)', color: '#1f77b4', line: line(withSlack), dots: line(withSlack) },
  { label: 'plain router', color: '#d62728', line: line(plain), dots: line(plain), dashed: true },
];
const picture = svg([
  {
    title: 'Team makespan against quality (lockstep teams, latency-weight sweep)',
    xLabel: 'team makespan (s)',
    yLabel: 'mean quality',
    x: [0, Math.ceil(maxX / 10) * 10],
    y: [Math.floor(Math.min(...qs) * 20) / 20, Math.ceil(Math.max(...qs) * 20) / 20],
    series,
  },
]);

const out = resolve(args.out as string);
mkdirSync(dirname(out), { recursive: true });
// Both files appear together or not at all.
writeFileSync(`${out}.md.tmp`, md);
writeFileSync(`${out}.svg.tmp`, picture);
renameSync(`${out}.md.tmp`, `${out}.md`);
renameSync(`${out}.svg.tmp`, `${out}.svg`);
process.stdout.write(`${md}\nwrote ${out}.md and ${out}.svg\n`);
