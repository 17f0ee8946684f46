import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { jsonSchemaText, writeJsonSchemaFile } from '../json-schema-file.js';
import { interactionJsonSchema } from './interaction-schema.js';

/** packages/core/schema/interaction.schema.json, relative to this file in src/ or dist/. */
export const INTERACTION_SCHEMA_PATH = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../schema/interaction.schema.json',
);

export function interactionJsonSchemaText(): string {
  return jsonSchemaText(interactionJsonSchema());
}

/** Writes the JSON Schema file. Run: `node packages/core/dist/capture/write-json-schema.js`. */
export function writeInteractionJsonSchema(path = INTERACTION_SCHEMA_PATH): string {
  return writeJsonSchemaFile(path, interactionJsonSchema());
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(`wrote ${writeInteractionJsonSchema(process.argv[2])}`);
}
