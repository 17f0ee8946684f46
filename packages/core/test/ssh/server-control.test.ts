import { describe, expect, it } from 'vitest';
import { commandMatches, judgeProcess, type LaunchRecord, parsePid } from '../../src/ssh/server-control.js';

// The pure half of `server stop|status`: which pid files and processes BROKE will signal.
const record: LaunchRecord = {
  version: 1,
  argv: ['mlx_lm.server', '--model', '/m/tiny', '--host', '127.0.0.1', '--port', '8080'],
  port: 8080,
  startedAt: '2025-01-01T00:00:00.000Z',
};
const ARGS = 'mlx_lm.server --model /m/tiny --host 127.0.0.1 --port 8080';

describe('parsePid', () => {
  it('takes one decimal integer above 1 (the file ends in a newline)', () => {
    expect(parsePid('4242\n')).toBe(4242);
    expect(parsePid('2')).toBe(2);
  });
  it.each(['-1', '0', '1', 'abc', '', ' 42', '42 ', '0042', '+42', '4e3', '42\n43', '12345678901', '1.5'])(
    'refuses %j',
    (text) => {
      expect(parsePid(text)).toBeUndefined();
    },
  );
});

describe('commandMatches', () => {
  it('accepts the launched command, alone or behind a shebang interpreter', () => {
    expect(commandMatches(ARGS, record.argv)).toBe(true);
    expect(commandMatches(`/usr/bin/python3 /venv/bin/${ARGS}`, record.argv)).toBe(true);
    expect(commandMatches(`python3 ${ARGS}\n`, record.argv)).toBe(true);
    const abs = ['/venv/bin/mlx_lm.server', '--port', '9'];
    expect(commandMatches('/opt/py/bin/python3.12 /venv/bin/mlx_lm.server --port 9', abs)).toBe(true);
  });
  it('refuses anything else', () => {
    expect(commandMatches('sleep 300', record.argv)).toBe(false);
    expect(commandMatches('', record.argv)).toBe(false);
    expect(commandMatches(ARGS, [])).toBe(false);
    expect(commandMatches(ARGS.replace('8080', '8081'), record.argv)).toBe(false);
    expect(commandMatches(`${ARGS} --extra`, record.argv)).toBe(false);
    expect(commandMatches(`x${ARGS}`, record.argv)).toBe(false);
    // A configured absolute path must match as a whole, not as the tail of another path.
    const abs = ['/venv/bin/mlx_lm.server', '--port', '9'];
    expect(commandMatches('/other/venv/bin/mlx_lm.server --port 9', abs)).toBe(false);
  });
});

describe('judgeProcess', () => {
  const alive = (args: string, listeners: { pid: number; ppid: number }[] | null = []) => ({
    alive: true,
    args,
    listeners,
  });
  it('a dead pid is stopped', () => {
    expect(judgeProcess(50, record, { alive: false, args: '', listeners: [] }).state).toBe('stopped');
  });
  it('a live pid is ours only with the recorded command line and the port', () => {
    expect(judgeProcess(50, record, alive(ARGS, [{ pid: 50, ppid: 1 }]))).toEqual({ state: 'running' });
    expect(judgeProcess(50, record, alive(ARGS, [{ pid: 51, ppid: 50 }])).state).toBe('running');
    expect(judgeProcess(50, record, alive(ARGS)).note).toMatch(/nothing listens on port 8080/);
    expect(judgeProcess(50, record, alive(ARGS, null))).toMatchObject({
      state: 'running',
      note: expect.stringMatching(/neither lsof nor ss on the node/),
    });
  });
  it('anything else is stale, with the reason', () => {
    expect(judgeProcess(50, undefined, alive(ARGS)).reason).toMatch(/no record of the command/);
    expect(judgeProcess(50, record, alive('sleep 300')).reason).toMatch(/pid 50 runs "sleep 300", not/);
    expect(judgeProcess(50, record, alive(ARGS, [{ pid: 77, ppid: 1 }]))).toEqual({
      state: 'stale',
      reason: 'port 8080 is held by pid 77, not 50',
    });
  });
});
