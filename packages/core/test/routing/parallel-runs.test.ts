import { describe, expect, it } from 'vitest';
import { ParallelRuns } from '../../src/routing/parallel-runs.js';

describe('ParallelRuns', () => {
  it("is the wait until a session's last request in flight should finish", () => {
    const runs = new ParallelRuns();
    expect(runs.slackMs('run', 0)).toBe(0);
    runs.add('run', 5_000, 0);
    runs.add('run', 2_000, 0);
    expect(runs.slackMs('run', 1_000)).toBe(4_000);
    expect(runs.slackMs('other', 1_000)).toBe(0);
    expect(runs.slackMs(undefined, 1_000)).toBe(0);
    runs.remove('run', 5_000);
    expect(runs.slackMs('run', 1_000)).toBe(1_000);
    runs.remove('run', 2_000);
    expect(runs.slackMs('run', 1_000)).toBe(0);
    expect(runs.sessions).toBe(0);
  });

  it('forgets requests that never reported once their time has passed, and stays bounded', () => {
    const runs = new ParallelRuns();
    runs.add('run', 1_000, 0);
    expect(runs.slackMs('run', 2_000)).toBe(0);
    runs.add('run', 9_000, 2_000);
    expect(runs.slackMs('run', 2_000)).toBe(7_000);
    for (let i = 0; i < 200; i++) runs.add('busy', 10_000 + i, 0);
    expect(runs.slackMs('busy', 0)).toBe(10_199);
    for (let i = 0; i < 20_000; i++) runs.add(`s${i}`, 1, 0);
    expect(runs.sessions).toBeLessThanOrEqual(10_000);
  });
});
