import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ValidationError } from '../errors.js';
import { formatIssues } from './format-issues.js';
import { interpolateEnv } from './interpolate.js';
import { resolveConfigPaths } from './resolve-paths.js';
import { type BrokeConfig, BrokeConfigSchema } from './schema.js';

/**
 * Parse and validate broke.yaml text. Throws ValidationError whose message lists every problem
 * as `path: message` (e.g. `nodes[0].url: Invalid URL`, `gatway: unknown key; did you mean
 * "gateway"?`); `field` holds the first path. Every rule lives in BrokeConfigSchema, so `validate`
 * and `serve` (both load through here) accept and reject the same files. `${NAME}` references in
 * string values are replaced from `env` first (config/interpolate.ts).
 */
export function parseConfig(
  text: string,
  source = 'broke.yaml',
  options: { env?: NodeJS.ProcessEnv } = {},
): BrokeConfig {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const first = document.errors[0];
    const where = first?.linePos?.[0]
      ? ` (line ${first.linePos[0].line}, column ${first.linePos[0].col})`
      : '';
    throw new ValidationError(
      `${source} is not valid YAML${where}: ${first?.message.split('\n')[0] ?? 'parse error'}`,
      {
        hint: 'check indentation and quoting',
      },
    );
  }
  const input = interpolateEnv(document.toJS() ?? {}, { source, ...options });
  const result = BrokeConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = formatIssues(result.error.issues, { schema: BrokeConfigSchema, input });
    throw new ValidationError(`${source} is invalid:\n  ${lines.join('\n  ')}`, {
      field: lines[0]?.split(':')[0],
      cause: result.error,
    });
  }
  return result.data;
}

/**
 * Read, parse and validate a config file; relative local paths in it (store, SSH keys and
 * known_hosts, baselines) come back resolved against the file's folder (config/resolve-paths.ts).
 */
export function loadConfig(path: string, options: { env?: NodeJS.ProcessEnv } = {}): BrokeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ValidationError(`Cannot read config file ${path}`, {
      hint: 'run `broke-cluster init` to create one, or pass --config',
      cause,
    });
  }
  return resolveConfigPaths(parseConfig(text, path, options), dirname(resolve(path)));
}
