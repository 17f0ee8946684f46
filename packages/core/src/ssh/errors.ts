import { BrokeError } from '../errors.js';

/** SSH failed: unreachable host, refused auth, timeout, or a remote command that failed. */
export class SshError extends BrokeError {
  constructor(
    readonly target: string,
    message: string,
    options: { hint?: string; cause?: unknown; code?: string } = {},
  ) {
    super(options.code ?? 'ssh_error', message, { ...options, status: 502 });
  }
}

/** The host key is unknown or differs from the recorded / pinned one: we refuse to talk. */
export class HostKeyError extends SshError {
  constructor(
    target: string,
    readonly reason: 'unknown' | 'mismatch' | 'revoked',
    readonly fingerprint: string,
    message: string,
    hint: string,
  ) {
    super(target, message, { hint, code: `host_key_${reason}` });
  }
}
