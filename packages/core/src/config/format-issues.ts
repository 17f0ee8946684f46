import type { z } from 'zod';
import { knownKeysAt, unknownKeyMessage } from './unknown-keys.js';

/** `nodes[0].url` from a zod issue path; `root` names the empty path. */
export function formatPath(path: readonly PropertyKey[], root = '(root)'): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || root;
}

/**
 * One line per issue: `path: message`. An unknown key is a line of its own with its full path,
 * and, given the schema and input that were parsed, the key that was probably meant:
 * `nodes[0].maxconcurrency: unknown key; did you mean "maxConcurrency"?`.
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  parsed?: { schema: z.core.$ZodType; input: unknown },
): string[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [`${formatPath(issue.path)}: ${issue.message}`];
    const known = parsed ? (knownKeysAt(parsed.schema, issue.path, parsed.input) ?? []) : [];
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: ${unknownKeyMessage(key, known)}`);
  });
}
