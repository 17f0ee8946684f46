import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseDocument } from 'yaml';
import { ValidationError } from '../errors.js';
import { formatIssues } from './format-issues.js';
import { type BrokeConfig, BrokeConfigSchema } from './schema.js';

/**
 * Parse and validate broke.yaml text. Throws ValidationError whose message lists every problem
 * as `path: message` (e.g. `nodes[0].url: Invalid URL`); `field` holds the first path.
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
  const result = BrokeConfigSchema.safeParse(document.toJS() ?? {});
  if (!result.success) {
    const lines = formatIssues(result.error.issues);
    throw new ValidationError(`${source} is invalid:\n  ${lines.join('\n  ')}`, {
      field: lines[0]?.split(':')[0],
      cause: result.error,
    });
  }
  const problems = crossCheck(result.data);
  if (problems.length > 0) {
    throw new ValidationError(`${source} is invalid:\n  ${problems.join('\n  ')}`, {
      field: problems[0]?.split(':')[0],
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

/** Rules one schema field cannot express: uniqueness and cross-field requirements. */
function crossCheck(config: BrokeConfig): string[] {
  const problems: string[] = [];
  const nodeIds = new Map<string, number>();
  config.nodes.forEach((node, index) => {
    const first = nodeIds.get(node.id);
    if (first !== undefined)
      problems.push(`nodes[${index}].id: duplicate node id "${node.id}" (also nodes[${first}])`);
    else nodeIds.set(node.id, index);
    const served = new Set<string>();
    node.models.forEach((model, modelIndex) => {
      if (served.has(model.id))
        problems.push(`nodes[${index}].models[${modelIndex}].id: model "${model.id}" listed twice`);
      served.add(model.id);
    });
  });
  const modelIds = new Set<string>();
  config.models.forEach((model, index) => {
    if (modelIds.has(model.id)) problems.push(`models[${index}].id: duplicate model id "${model.id}"`);
    modelIds.add(model.id);
  });
  if (!isLoopback(config.gateway.host) && config.gateway.apiKeys.length === 0)
    problems.push(`gateway.apiKeys: required when gateway.host (${config.gateway.host}) is not loopback`);
  return problems;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
