import { z } from 'zod';
import { strictObject } from './unknown-keys.js';

/** A rule's regex must compile: a typo is reported when the config loads, not at the first request. */
const RegexSource = z
  .string()
  .min(1)
  .refine(
    (source) => {
      try {
        new RegExp(source, 'g');
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );

/** Built-in redaction rules by name (capture/redaction.ts): e-mail addresses, API keys and tokens. */
export const RedactionPresetSchema = z.enum(['emails', 'keys']);
export type RedactionPreset = z.infer<typeof RedactionPresetSchema>;

export const RedactionRuleSchema = z.union([
  RedactionPresetSchema,
  strictObject({
    /** A JavaScript regular expression; every match is replaced. */
    pattern: RegexSource,
    /** Regex flags besides `g` (always on), e.g. `i`. */
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'flags may be i, m, s and u')
      .default(''),
    replacement: z.string().default('[redacted]'),
  }),
]);
export type RedactionRule = z.infer<typeof RedactionRuleSchema>;

/**
 * The top-level `capture:` block: prompt and answer capture for `broke-cluster export-data`
 * (docs/data-export.md). Off unless teams are named: prompts and answers are the users' data, so
 * a team is captured only when the operator opts it in.
 */
export const CaptureSchema = strictObject({
  /** Teams whose requests are captured (`*`: every request, with or without a team). */
  teams: z.union([z.literal('*'), z.array(z.string().min(1))]).default([]),
  /** Store the prompt messages (false: only the answer and the routing metadata). */
  prompts: z.boolean().default(true),
  /** Store the answer text (false: only the prompt and the routing metadata). */
  responses: z.boolean().default(true),
  store: strictObject({
    /** SQLite file; relative paths are next to the config file. */
    path: z.string().min(1).default('.broke/interactions.db'),
  }).default({ path: '.broke/interactions.db' }),
  /** Captured interactions older than this are deleted. */
  retentionDays: z.number().int().min(1).max(3650).default(30),
  /** Applied to every message text before it is stored, in order. */
  redact: z.array(RedactionRuleSchema).default([]),
});
export type CaptureConfig = z.infer<typeof CaptureSchema>;
