import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A JSON Schema as the repo keeps it on disk: two-space indent, a final newline. */
export function jsonSchemaText(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Writes `schema` to `path` (folders made as needed); returns the path. */
export function writeJsonSchemaFile(path: string, schema: object): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, jsonSchemaText(schema));
  return path;
}
