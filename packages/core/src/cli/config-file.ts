import { existsSync, readFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { loadConfig, parseConfig } from '../config/loader.js';
import { type BrokeConfig, type BrokeConfigInput, BrokeConfigSchema } from '../config/schema.js';
import { ValidationError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

export const DEFAULT_CONFIG_PATH = 'broke.yaml';

/** The validated config plus the file's own (undefaulted) content, which is what we edit and write back. */
export interface ConfigFile {
  path: string;
  config: BrokeConfig;
  raw: BrokeConfigInput;
}

export function readConfigFile(path: string): ConfigFile {
  const config = loadConfig(path);
  const raw = parseDocument(readFileSync(path, 'utf8')).toJS() as BrokeConfigInput;
  return { path, config, raw };
}

/** Validate `raw` (same rules as loading) and write it as YAML. */
export function writeConfigFile(
  path: string,
  raw: BrokeConfigInput,
  options: { force?: boolean } = {},
): BrokeConfig {
  if (options.force === false && existsSync(path))
    throw new ValidationError(`${path} already exists`, {
      hint: 'pass --force to overwrite it, or --out another path',
    });
  const text = `# BROKE cluster config (broke-cluster). Schema: packages/core/src/config/schema.ts\n${stringify(raw, { lineWidth: 0 })}`;
  const config = parseConfig(text, path);
  // Whole or not at all: a failed or killed command leaves the old file byte for byte.
  writeFileAtomic(path, text);
  return config;
}

export { BrokeConfigSchema };
