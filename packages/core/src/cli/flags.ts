import { InvalidArgumentError } from 'commander';

/**
 * Commander argParsers for every numeric flag. A bad value stops the command while the line is
 * parsed, before anything is read, probed or written, with one line that names the flag as typed:
 * `error: option '--interval <ms>' argument 'abc' is invalid. Expected milliseconds (...)`, exit 2.
 * Commander does not run defaults through the parser, so defaults are given as numbers.
 */
export type FlagParser<T> = (value: string) => T;

const DAY_MS = 24 * 3600 * 1000;

/** A whole number in [min, max]; digits only (no `1e3`, `0x10`, `12abc` or empty string). */
export function wholeNumber(what: string, min: number, max = Number.MAX_SAFE_INTEGER): FlagParser<number> {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  return (value) => {
    const text = value.trim();
    const n = /^\+?\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`Expected ${what} (a whole number ${range}).`);
    return n;
  };
}

/** A decimal number > 0 (e.g. a speed multiplier). */
export function positiveNumber(what: string): FlagParser<number> {
  return (value) => {
    const text = value.trim();
    const n = /^\+?(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
    if (!(n > 0) || !Number.isFinite(n))
      throw new InvalidArgumentError(`Expected ${what} (a number above 0).`);
    return n;
  };
}

/** Timeouts and intervals: 1 ms to a day. */
export const milliseconds = wholeNumber('milliseconds', 1, DAY_MS);
/** A TCP port a server listens on or a client connects to. */
export const port = wholeNumber('a port', 1, 65535);
/** A port to listen on, where 0 asks the OS for any free one. */
export const listenPort = wholeNumber('a port, or 0 for any free one', 0, 65535);
/** Counts that must be at least one (repeats, polls, lines, tokens). */
export const positiveCount = wholeNumber('a count', 1);
/** Counts that may be zero (warm-up requests, seeds). */
export const count = wholeNumber('a count', 0);

/** A comma-separated list of ports, e.g. `8080,11434`. */
export const portList: FlagParser<number[]> = (value) => {
  const parts = value.split(',').map((p) => p.trim());
  const ports = parts.map((p) => (/^\d{1,5}$/.test(p) ? Number(p) : Number.NaN));
  if (!parts.length || ports.some((p) => !(p >= 1 && p <= 65535)))
    throw new InvalidArgumentError(
      'Expected a comma-separated list of ports from 1 to 65535, e.g. 8080,11434.',
    );
  return ports;
};
