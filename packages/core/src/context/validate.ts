import { ValidationError } from '../errors.js';
import { type AgentContext, AgentContextSchema } from './agent-context.js';

/**
 * Strict validation: the first bad value is a `ValidationError` naming what the caller wrote
 * (`names` maps a field to its header or metadata key), so the fix is obvious.
 */
export function validateContext(
  raw: Record<string, unknown>,
  where: string,
  names: Record<string, string> = {},
): AgentContext {
  const result = AgentContextSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  const field = names[String(path[0] ?? '')] ?? path.map(String).join('.');
  throw new ValidationError(`Invalid agent context in ${where}: ${field}: ${issue?.message ?? 'invalid'}`, {
    field,
  });
}

/** Lenient reading: the field's value when the schema accepts it, else undefined. */
export function validField(field: keyof AgentContext, value: unknown): unknown {
  const one = AgentContextSchema.safeParse({ [field]: value });
  return one.success ? (one.data as Record<string, unknown>)[field] : undefined;
}
