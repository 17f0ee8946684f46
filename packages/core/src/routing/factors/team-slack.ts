import { runWaitMs } from '../parallel-runs.js';
import type { Factor } from '../plugin.js';

/**
 * Parallel agents of one run (several requests of a session in flight: a crew's async tasks):
 * the run goes on when its last request is done, so what counts is the team's finish, not this
 * request's. Raises each candidate's time to the run's wait if it goes there (siblings on the
 * same node slowed by one more request beside them): within that wait the objective weighs
 * quality only, and piling the run onto one node costs what it costs the team. Runs after the
 * other time factors (it reads their sum).
 */
export function teamSlackFactor(): Factor {
  return {
    name: 'team-slack',
    adds: 'time',
    estimate(idx, count, ctx, out, so) {
      const run = ctx.run;
      if (!run) {
        out.fill(0, 0, count);
        return;
      }
      const { nodeOf, batchSlowdown } = ctx.table;
      for (let k = 0; k < count; k++) {
        const node = nodeOf[idx[k] as number] as number;
        const wait = runWaitMs(run, node, batchSlowdown[node] as number, ctx.now);
        const time = so.timeMs[k] as number;
        out[k] = wait > time ? wait - time : 0;
      }
    },
    note(candidate, term, ctx) {
      if (!ctx.run) return undefined;
      const node = candidate.nodeIndex;
      const wait = runWaitMs(ctx.run, node, ctx.table.batchSlowdown[node] as number, ctx.now);
      if (!(wait > 0)) return undefined;
      return `the run waits ~${Math.round(wait)} ms for its other requests in flight${term > 0 ? ': finishing sooner saves the team nothing' : ''}`;
    },
  };
}
