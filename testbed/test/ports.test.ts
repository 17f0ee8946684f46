import { describe, expect, it } from 'vitest';
import { GiveUp, PORT_TAKEN, startOnPickedPorts, waitFor } from '../ports.js';

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

describe('test bed: startOnPickedPorts', () => {
  const taken = (error: unknown) => /Address already in use/.test((error as Error).message);

  it('starts again when a picked port was taken, until one start serves', async () => {
    let starts = 0;
    const started = await startOnPickedPorts(async () => {
      starts += 1;
      if (starts < 3) throw new Error('OSError: [Errno 98] Address already in use');
      return `server ${starts}`;
    }, taken);
    expect(started).toBe('server 3');
  });

  it('gives any other failure at once', async () => {
    let starts = 0;
    const started = startOnPickedPorts(async () => {
      starts += 1;
      throw new Error('ModuleNotFoundError: No module named mlx');
    }, taken);
    await expect(started).rejects.toThrow('No module named mlx');
    expect(starts).toBe(1);
  });

  it('stops after the last try with its reason', async () => {
    let starts = 0;
    const started = startOnPickedPorts(
      async () => {
        starts += 1;
        throw new Error(`try ${starts}: Address already in use`);
      },
      taken,
      2,
    );
    await expect(started).rejects.toThrow('try 2: Address already in use');
    expect(starts).toBe(2);
  });
});

describe('test bed: PORT_TAKEN', () => {
  it.each([
    'OSError: [Errno 98] Address already in use',
    "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 4000): address already in use",
    "ValueError: Failed to bind to 127.0.0.1:8265 because it's already occupied.",
  ])('knows %s', (line) => {
    expect(PORT_TAKEN.test(line)).toBe(true);
  });

  it('is not any failure', () => {
    expect(PORT_TAKEN.test('ModuleNotFoundError: No module named mlx')).toBe(false);
  });
});
