import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, locateConfigFile } from './config-file.js';
import { Output } from './output.js';

/** Options every command accepts (declared on the program, usable anywhere on the line). */
export interface GlobalOptions {
  /** The config to read: `--config`, `BROKE_CONFIG`, `./broke.yaml`, then the user config folder. */
  config: string;
  /** Where `init` writes: `--config`, `BROKE_CONFIG`, else `./broke.yaml` (never the user folder). */
  configTarget: string;
  json?: boolean;
}

export function globals(cmd: Command): GlobalOptions & { out: Output } {
  const o = cmd.optsWithGlobals() as { config?: string; json?: boolean };
  return {
    ...o,
    config: locateConfigFile(o.config).path,
    configTarget: o.config || process.env.BROKE_CONFIG || DEFAULT_CONFIG_PATH,
    out: new Output(Boolean(o.json)),
  };
}

/** Commander collector for repeatable flags. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
