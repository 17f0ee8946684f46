import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { jsonSchemaText, writeJsonSchemaFile } from '../json-schema-file.js';
import { configJsonSchema } from './json-schema.js';

/** packages/core/schema/broke-config.schema.json, relative to this file in src/ or dist/. */
export const CONFIG_SCHEMA_PATH = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../schema/broke-config.schema.json',
);

export function configJsonSchemaText(): string {
  return jsonSchemaText(configJsonSchema());
}

/** Writes the JSON Schema file. Run: `node packages/core/dist/config/write-json-schema.js`. */
export function writeConfigJsonSchema(path = CONFIG_SCHEMA_PATH): string {
  return writeJsonSchemaFile(path, configJsonSchema());
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(`wrote ${writeConfigJsonSchema(process.argv[2])}`);
}
