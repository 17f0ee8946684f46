import type { ChildProcess } from 'node:child_process';

const cleanups = new Set<() => void>();
let installed = false;

/**
 * Runs `cleanup` when this process ends: on a normal exit, and on the SIGTERM with which vitest
 * ends a worker whose file failed in a hook. Node's default SIGTERM handling skips 'exit'
 * listeners, so the servers a failed beforeAll had already started (an mlx_lm.server beside a Ray
 * cluster that did not come up) were left running after the test run. Returns the undo.
 */
export function onProcessEnd(cleanup: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
    process.once('SIGTERM', () => {
      runAll();
      process.exit(143);
    });
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** `child` is SIGKILLed when this process ends, unless it exited first. */
export function endsWithThisProcess(child: ChildProcess): void {
  child.once(
    'exit',
    onProcessEnd(() => child.kill('SIGKILL')),
  );
}

function runAll(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // the others still run
    }
  }
  cleanups.clear();
}
