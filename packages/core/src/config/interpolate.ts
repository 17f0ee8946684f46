import { ValidationError } from '../errors.js';
import { formatPath } from './format-issues.js';

/**
 * `${NAME}` and `${NAME:-default}` in broke.yaml's string values, so secrets (a node's `apiKey`,
 * the gateway's `apiKeys`) need not be written in the file. `$${` is a literal `${`. As in a shell,
 * the default also applies when the variable is set but empty. Only values are interpolated, never
 * keys; numbers and booleans are YAML scalars of their own and are not interpolated. Commands that
 * rewrite the file write the `${NAME}` text back, never the value.
 */
const REFERENCE = /\$(\$?)\{([^}]*)\}?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface InterpolateOptions {
  /** The config's name in messages (its path). */
  source: string;
  env?: NodeJS.ProcessEnv;
}

/** A copy of `value` (parsed YAML) with every reference in its strings replaced. */
export function interpolateEnv(value: unknown, options: InterpolateOptions): unknown {
  return walk(value, [], { source: options.source, env: options.env ?? process.env });
}

function walk(value: unknown, path: PropertyKey[], options: Required<InterpolateOptions>): unknown {
  if (typeof value === 'string') return value.includes('${') ? substitute(value, path, options) : value;
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i], options));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k], options)]));
  return value;
}

function substitute(text: string, path: PropertyKey[], options: Required<InterpolateOptions>): string {
  const where = formatPath(path);
  return text.replace(REFERENCE, (match, escaped: string, inner: string) => {
    if (escaped) return match.slice(1);
    if (!match.endsWith('}'))
      throw new ValidationError(`${options.source}: ${where}: "\${" without a closing "}"`, {
        hint: `write \${NAME} or \${NAME:-default}; $\${ is a literal \${`,
        field: where,
      });
    const split = inner.indexOf(':-');
    const name = split === -1 ? inner : inner.slice(0, split);
    if (!NAME.test(name))
      throw new ValidationError(`${options.source}: ${where}: "${match}" is not a variable reference`, {
        hint: `write \${NAME} or \${NAME:-default} (letters, digits, _); $\${ is a literal \${`,
        field: where,
      });
    const set = options.env[name];
    if (set !== undefined && (split === -1 || set !== '')) return set;
    if (split !== -1) return inner.slice(split + 2);
    throw new ValidationError(`${options.source}: ${where} uses \${${name}}, which is not set`, {
      hint: `set ${name} in the environment, or write \${${name}:-default}`,
      field: where,
    });
  });
}
