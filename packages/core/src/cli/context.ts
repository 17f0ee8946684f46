import type { Command } from 'commander';
import { Output } from './output.js';

/** Options every command accepts (declared on the program, usable anywhere on the line). */
export interface GlobalOptions {
  config: string;
  json?: boolean;
}

export function globals(cmd: Command): GlobalOptions & { out: Output } {
  const o = cmd.optsWithGlobals() as GlobalOptions;
  return { ...o, out: new Output(Boolean(o.json)) };
}

/** Commander collector for repeatable flags. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseIntStrict(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
  return n;
}
