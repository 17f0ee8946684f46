import { describe, expect, it } from 'vitest';
import { GiveUp, waitFor } from '../ports.js';

describe('test bed: waitFor', () => {
  it('keeps polling through a check that throws (a server not listening yet)', async () => {
    let calls = 0;
    await waitFor(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('ECONNREFUSED');
        return true;
      },
      'the third try',
      5_000,
      1,
    );
    expect(calls).toBe(3);
  });

  it('stops at once when the check gives up (a server that exited)', async () => {
    let calls = 0;
    const waiting = waitFor(
      async () => {
        calls += 1;
        throw new GiveUp('the server exited: Address already in use');
      },
      'a server',
      60_000,
      1,
    );
    await expect(waiting).rejects.toThrow('the server exited: Address already in use');
    expect(calls).toBe(1);
  });
});
