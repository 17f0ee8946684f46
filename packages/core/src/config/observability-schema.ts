import { z } from 'zod';
import { TracingSchema } from './tracing-schema.js';
import { strictObject } from './unknown-keys.js';

/** pino's levels; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const MetricsSchema = strictObject({
  /** `GET /metrics` (Prometheus text format). */
  enabled: z.boolean().default(true),
  /**
   * Roles (teams) that keep their own label value; the first ones seen (those in the learned
   * statistics first, most evidence first) up to this many. Later ones are counted as `other`,
   * so a client inventing role names cannot grow the series without bound.
   */
  topRoles: z.number().int().min(0).max(1000).default(20),
  topTeams: z.number().int().min(0).max(1000).default(20),
  /**
   * A scraper's own bearer token: when set, `/metrics` takes this token (or an admin key) and
   * not the API keys. Unset: `/metrics` needs what the API needs (a key when keys are set).
   */
  token: z.string().min(8).optional(),
});
export type MetricsConfig = z.infer<typeof MetricsSchema>;

export const LogSchema = strictObject({
  /** Lowest level written: requests that ended well are `info`, 4xx `warn`, 5xx `error`. */
  level: z.enum(LOG_LEVELS).default('info'),
  /** Put each request's messages in its log line (off: prompts never reach the log). */
  prompts: z.boolean().default(false),
});
export type LogConfig = z.infer<typeof LogSchema>;

/** What the gateway tells operators about itself: metrics, logs and traces. */
export const ObservabilitySchema = strictObject({
  metrics: MetricsSchema.default(MetricsSchema.parse({})),
  log: LogSchema.default(LogSchema.parse({})),
  /** OpenTelemetry traces (see tracing-schema.ts); absent: only the OTEL_* environment turns them on. */
  tracing: TracingSchema.optional(),
});
export type ObservabilityConfig = z.infer<typeof ObservabilitySchema>;
