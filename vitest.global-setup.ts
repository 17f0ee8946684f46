import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every temporary file of a test run goes under one folder that is removed when the run ends:
 * TMPDIR is what `os.tmpdir()` and Python's `tempfile` read, in the test workers and in the
 * processes the tests start (mlx_lm.server, sshd, redis, the Python clients). Tests that make a
 * folder of their own and forget it, or a process killed before its cleanup, leave nothing behind.
 * Short, because Ray puts unix sockets below it (testbed/ray.ts: a 107-byte path limit).
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'broke-t-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
