import { BrokeError } from '../errors.js';

/** One host or node a multi-target command could not handle, with what went wrong. */
export interface TargetFailure {
  /** The host, node id or URL, as the user named it. */
  where: string;
  error: unknown;
}

const lineOf = (err: unknown) =>
  err instanceof BrokeError ? err.toLine() : err instanceof Error ? err.message : String(err);

/**
 * Some targets of `init` / `scan-models` / `benchmark-sequential` failed and `--allow-partial` was
 * not given: the command fails as a whole and writes nothing. The exit code is the first
 * failure's class (exit-codes.ts), so an SSH host key problem still exits 4.
 */
export class PartialFailureError extends BrokeError {
  constructor(
    readonly failures: readonly TargetFailure[],
    total: number,
    noun: string,
  ) {
    const failed = new Set(failures.map((f) => f.where)).size;
    const each = failures.map((f) => `${f.where}: ${lineOf(f.error)}`).join('; ');
    super('partial_failure', total > 1 ? `${failed} of ${total} ${noun}s failed: ${each}` : each, {
      hint:
        total > failed
          ? 'nothing was written; --allow-partial writes what worked and warns about the rest'
          : 'nothing was written',
      status: 502,
    });
  }
}
