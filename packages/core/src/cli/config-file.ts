import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Document, parseDocument } from 'yaml';
import { loadConfig, parseConfig } from '../config/loader.js';
import { type ConfigLocation, DEFAULT_CONFIG_FILE, locateConfig, notFoundMessage } from '../config/locate.js';
import { resolveConfigPaths } from '../config/resolve-paths.js';
import { type BrokeConfig, type BrokeConfigInput, BrokeConfigSchema } from '../config/schema.js';
import { ValidationError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { formatOf, updateDocument } from './update-document.js';

export const DEFAULT_CONFIG_PATH = DEFAULT_CONFIG_FILE;

/**
 * The validated config (`${NAME}`s replaced, relative paths resolved against the file's folder)
 * plus the file's own content as written (undefaulted, `${NAME}`s kept), which is what commands
 * edit and write back.
 */
export interface ConfigFile {
  path: string;
  config: BrokeConfig;
  raw: BrokeConfigInput;
}

// How each path handed out by locateConfigFile was found, for the error when it is not there
// (commands pass the path on as a plain string to readConfigFile).
const located = new Map<string, ConfigLocation>();

/** The config a command reads: `--config`, `BROKE_CONFIG`, `./broke.yaml`, the user config folder. */
export function locateConfigFile(explicit: string | undefined): ConfigLocation {
  const location = locateConfig({ explicit });
  located.set(location.path, location);
  return location;
}

export function readConfigFile(path: string): ConfigFile {
  const location = located.get(path);
  if (location && location.from !== 'flag' && !existsSync(path))
    throw new ValidationError(notFoundMessage(location), {
      hint: 'run `broke-cluster init` to create one, or pass --config',
    });
  const config = loadConfig(path);
  const raw = parseDocument(readFileSync(path, 'utf8')).toJS() as BrokeConfigInput;
  return { path, config, raw };
}

const HEADER = ' BROKE cluster config (broke-cluster). Schema: @broke/core/schema/broke-config.schema.json';

/**
 * Validate `raw` (same rules as loading) and write it as YAML, whole or not at all.
 * An existing file is updated in place through the `yaml` Document API: the user's comments,
 * blank lines, quoting and `${NAME}` references survive, and only changed values are rewritten.
 * `force` is `init`'s: given at all, the file is written anew, and refused when one exists unless
 * `force` is true.
 */
export function writeConfigFile(
  path: string,
  raw: BrokeConfigInput,
  options: { force?: boolean } = {},
): BrokeConfig {
  const create = options.force !== undefined;
  if (create && !options.force && existsSync(path))
    throw new ValidationError(`${path} already exists`, {
      hint: 'pass --force to overwrite it, or --out another path',
    });
  const source = !create && existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const existing = source === undefined ? undefined : parseDocument(source);
  let text: string;
  if (source !== undefined && existing && existing.errors.length === 0) {
    updateDocument(existing, raw);
    text = existing.toString(formatOf(source));
  } else {
    const doc = new Document(raw);
    doc.commentBefore = HEADER;
    text = doc.toString({ lineWidth: 0 });
  }
  const config = resolveConfigPaths(parseConfig(text, path), dirname(resolve(path)));
  // Whole or not at all: a failed or killed command leaves the old file byte for byte.
  writeFileAtomic(path, text);
  return config;
}

export { BrokeConfigSchema };
