import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const DEFAULT_CONFIG_FILE = 'broke.yaml';

export interface ConfigLocation {
  /** The file to read (or, for `init`, to write). */
  path: string;
  /** Whether `path` exists. */
  exists: boolean;
  /** How it was chosen: `--config`, `BROKE_CONFIG`, the current folder or the user config folder. */
  from: 'flag' | 'env' | 'cwd' | 'user';
  /** Every place looked at, in order (for the error when none exists). */
  searched: string[];
}

/** `$XDG_CONFIG_HOME/broke/broke.yaml`, else `~/.config/broke/broke.yaml`. */
export function userConfigPath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'broke', DEFAULT_CONFIG_FILE);
}

/**
 * Which broke.yaml a command uses: `--config`, then `BROKE_CONFIG`, then `./broke.yaml`, then the
 * user config folder. An explicit path is used as given, existing or not (so the error names it);
 * otherwise the first existing candidate wins, and with none `./broke.yaml` is the answer.
 */
export function locateConfig(
  options: { explicit?: string | undefined; env?: NodeJS.ProcessEnv; cwd?: string; home?: string } = {},
): ConfigLocation {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.explicit)
    return {
      path: options.explicit,
      exists: existsSync(resolve(cwd, options.explicit)),
      from: 'flag',
      searched: [options.explicit],
    };
  if (env.BROKE_CONFIG)
    return {
      path: env.BROKE_CONFIG,
      exists: existsSync(resolve(cwd, env.BROKE_CONFIG)),
      from: 'env',
      searched: [env.BROKE_CONFIG],
    };
  const user = userConfigPath(env, options.home);
  const here = existsSync(resolve(cwd, DEFAULT_CONFIG_FILE));
  if (!here && existsSync(user))
    return { path: user, exists: true, from: 'user', searched: [DEFAULT_CONFIG_FILE, user] };
  return { path: DEFAULT_CONFIG_FILE, exists: here, from: 'cwd', searched: [DEFAULT_CONFIG_FILE, user] };
}

/** One line for a config that is not there: where it was looked for. */
export function notFoundMessage(location: ConfigLocation): string {
  switch (location.from) {
    case 'flag':
      return `Cannot read config file ${location.path}`;
    case 'env':
      return `Cannot read config file ${location.path} (named by BROKE_CONFIG)`;
    default:
      return `no config file found: looked at ./${DEFAULT_CONFIG_FILE} and ${location.searched[1]} (no --config or BROKE_CONFIG given)`;
  }
}
