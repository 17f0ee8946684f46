import { z } from 'zod';
import { BrokeConfigSchema } from './schema.js';

/**
 * JSON Schema for broke.yaml (editor completion and validation), generated from the same zod
 * schema the loader uses. Input mode: fields with defaults are optional, as when writing YAML.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(BrokeConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: 'https://github.com/broke/broke/schema/broke-config.schema.json',
    title: 'BROKE cluster configuration (broke.yaml)',
  };
}
