import { ValidationError } from '../errors.js';

/** Characters that never need quoting in a POSIX shell word. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The one place remote arguments are quoted. Single quotes make everything literal in sh/bash/zsh;
 * an embedded `'` becomes `'\''`. Every argument sent over SSH goes through here.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new ValidationError('a shell argument contains a NUL byte');
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quote every word of an argv and join it into one command line. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
