import type { Factor } from '../plugin.js';

/**
 * Parallel agents of one run (several requests of a session in flight: a crew's async tasks):
 * the run goes on when its last request is done, so finishing this one sooner saves the team
 * nothing. Raises every candidate's predicted time to at least that slack, so within it the
 * objective weighs quality only and a better, slower model costs the team no time. Runs after
 * the other time factors (it reads their sum).
 */
export function teamSlackFactor(): Factor {
  return {
    name: 'team-slack',
    adds: 'time',
    estimate(_idx, count, ctx, out, so) {
      const slack = ctx.teamSlackMs ?? 0;
      for (let k = 0; k < count; k++) {
        const time = so.timeMs[k] as number;
        out[k] = slack > time ? slack - time : 0;
      }
    },
    note: (_candidate, term, ctx) =>
      (ctx.teamSlackMs ?? 0) > 0
        ? `the run waits ~${Math.round(ctx.teamSlackMs ?? 0)} ms for its other requests in flight${term > 0 ? ': finishing sooner saves the team nothing' : ''}`
        : undefined,
  };
}
