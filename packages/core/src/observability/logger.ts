import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from '../config/observability-schema.js';

/**
 * Where keys can hide in what BROKE logs (request lines, events, a config passed along): their
 * values are written as `[redacted]`, whatever logged them.
 */
export const REDACTED_KEYS = [
  'authorization',
  'cookie',
  'apiKey',
  'apiKeys',
  'adminKeys',
  'api_key',
  'token',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'gateway.apiKeys',
  'gateway.adminKeys',
  'config.gateway.apiKeys',
  'config.gateway.adminKeys',
  'config.observability.metrics.token',
];

/** Where prompt text can be: redacted too unless prompts are logged on purpose. */
export const PROMPT_KEYS = ['prompt', 'messages'];

export interface LoggerOptions {
  level?: LogLevel;
  /** Log prompt text (request lines' `prompt`); off: any `prompt`/`messages` field is redacted. */
  prompts?: boolean;
  /** Default: stdout, written synchronously (as the request log always was). */
  destination?: DestinationStream;
}

/**
 * BROKE's JSON logger: one object per line, `level` as a word, `ts` as ISO time, no pid or
 * hostname, keys (and prompts, unless asked for) redacted.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: null,
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: options.prompts ? REDACTED_KEYS : [...REDACTED_KEYS, ...PROMPT_KEYS],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

export type { Logger } from 'pino';
