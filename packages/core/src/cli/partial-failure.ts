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
    const first = failures[0] as TargetFailure;
    super(
      'partial_failure',
      total === 1
        ? `${first.where}: ${lineOf(first.error)}`
        : `${failures.length} of ${total} ${noun}s failed: ${failures.map((f) => `${f.where}: ${lineOf(f.error)}`).join('; ')}`,
      {
        hint:
          total > failures.length
            ? `nothing was written; --allow-partial keeps the ${total - failures.length} that worked`
            : 'nothing was written',
        status: 502,
      },
    );
  }
}
