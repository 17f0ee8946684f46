import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ValidationError } from '../errors.js';
import { formatIssues } from './format-issues.js';
import { type BrokeConfig, BrokeConfigSchema } from './schema.js';

/**
 * Parse and validate broke.yaml text. Throws ValidationError whose message lists every problem
 * as `path: message` (e.g. `nodes[0].url: Invalid URL`, `gatway: unknown key; did you mean
 * "gateway"?`); `field` holds the first path. Every rule lives in BrokeConfigSchema, so `validate`
 * and `serve` (both load through here) accept and reject the same files.
 */
export function parseConfig(text: string, source = 'broke.yaml'): BrokeConfig {
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
  const input = document.toJS() ?? {};
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

/** Read, parse and validate a config file. */
export function loadConfig(path: string): BrokeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ValidationError(`Cannot read config file ${path}`, {
      hint: 'run `broke-cluster init` to create one, or pass --config',
      cause,
    });
  }
  return parseConfig(text, path);
}
