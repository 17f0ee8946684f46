import { BrokeError, ValidationError } from '../errors.js';
import { HostKeyError, SshError } from '../ssh/errors.js';
import { PartialFailureError } from './partial-failure.js';

/** Exit codes, stable for scripts (documented in docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** A check ran and failed (a probe generation, a node down in `status`). */
  failed: 1,
  /** Bad input: flags, missing or invalid config/baselines files. */
  usage: 2,
  /** A node or SSH host could not be reached or refused us. */
  unreachable: 3,
  /** An SSH host key was unknown or changed. */
  hostKey: 4,
} as const;

/** SSH failures that the user's own flags or config caused: a key file that is missing or unusable. */
const SSH_BAD_INPUT = new Set(['ssh_key_missing', 'ssh_key_invalid']);

export function exitCodeFor(err: unknown): number {
  // Several hosts failed: the first failure says what kind of failure it was.
  if (err instanceof PartialFailureError) return exitCodeFor(err.failures[0]?.error);
  if (err instanceof HostKeyError) return EXIT.hostKey;
  if (err instanceof SshError && SSH_BAD_INPUT.has(err.code)) return EXIT.usage;
  if (err instanceof ValidationError) return EXIT.usage;
  // Asking for a model the config does not have is bad input too.
  if (err instanceof BrokeError && err.code === 'model_not_found') return EXIT.usage;
  if (err instanceof SshError) return EXIT.unreachable;
  if (err instanceof BrokeError && err.code.startsWith('node')) return EXIT.unreachable;
  return EXIT.failed;
}

/** One line for stderr: BrokeError.toLine(), or the message of anything else. */
export function errorLine(err: unknown): string {
  if (err instanceof BrokeError) return err.toLine().split('\n').join(' ');
  return err instanceof Error ? err.message : String(err);
}
