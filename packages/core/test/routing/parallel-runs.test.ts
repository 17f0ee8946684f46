import { describe, expect, it } from 'vitest';
import { ParallelRuns, runWaitMs } from '../../src/routing/parallel-runs.js';

const ROLE = 'writer';
const OTHER = 'reviewer';

describe('ParallelRuns', () => {
  it("is the wait until a session's other roles in flight should finish, longer on a shared node", () => {
    const runs = new ParallelRuns();
    expect(runs.of('run', OTHER, 0)).toBeUndefined();
    runs.add('run', ROLE, 5_000, 0, 0.2, 0);
    runs.add('run', ROLE, 2_000, 1, 0.2, 0);
    const run = runs.of('run', OTHER, 1_000);
    if (!run) throw new Error('no run');
    // Elsewhere: the siblings as predicted. On node 0: the 5 s one is slowed by one more beside it.
    expect(runWaitMs(run, 2, 0.2, 1_000)).toBe(4_000);
    expect(runWaitMs(run, 0, 0.25, 1_000)).toBe(5_000);
    // The same role's own earlier turns are not parallel agents; other sessions have none.
    expect(runs.of('run', ROLE, 1_000)).toBeUndefined();
    expect(runs.of('other', OTHER, 1_000)).toBeUndefined();
    expect(runs.of(undefined, OTHER, 1_000)).toBeUndefined();
    // Only what is still due: at 3 s the 2 s one no longer holds the run.
    expect(runs.of('run', OTHER, 3_000)?.finishAt).toEqual([5_000]);
    runs.remove('run', 0, 5_000, 1_000);
    // A copy: what a route saw stays as it was; the run now waits only for the other one.
    expect(runWaitMs(run, 2, 0.2, 1_000)).toBe(4_000);
    expect(runWaitMs(runs.of('run', OTHER, 1_000) ?? run, 2, 0.2, 1_000)).toBe(1_000);
    runs.remove('run', 1, 2_000, 1_000);
    expect(runs.sessions).toBe(0);
  });

  it('pushes back the siblings that share the node the new request goes to', () => {
    const runs = new ParallelRuns();
    runs.add('run', ROLE, 10_000, 0, 0.5, 0);
    runs.add('run', ROLE, 3_000, 0, 0.5, 2_000);
    // (10 000 − 2 000) × 1.5 after the second joined it on node 0.
    expect(runs.of('run', OTHER, 2_000)?.finishAt).toEqual([14_000, 3_000]);
    // Its outcome finds its entry although it moved.
    runs.remove('run', 0, 10_000, 2_500);
    expect(runs.of('run', OTHER, 2_500)?.finishAt).toEqual([3_000]);
  });

  it('forgets requests that never reported once their time has passed, and stays bounded', () => {
    const runs = new ParallelRuns();
    runs.add('run', ROLE, 1_000, 0, 0, 0);
    runs.add('run', ROLE, 9_000, 1, 0, 2_000);
    expect(runs.of('run', OTHER, 2_000)?.finishAt).toEqual([9_000]);
    for (let i = 0; i < 200; i++) runs.add('busy', ROLE, 10_000 + i, 0, 0, 0);
    expect(runs.of('busy', OTHER, 0)?.finishAt.length).toBe(64);
    for (let i = 0; i < 20_000; i++) runs.add(`s${i}`, ROLE, 1, 0, 0, 0);
    expect(runs.sessions).toBeLessThanOrEqual(10_000);
  });
});
