import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BrokeError, ValidationError } from '../errors.js';

/** OpenAI's error envelope; every client SDK knows how to surface it. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** OpenAI `type` values by status, so SDKs map them to the right exception class. */
function typeFor(status: number): string {
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'invalid_request_error';
  if (status === 401 || status === 403) return 'authentication_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500 && status < 600 && status !== 500) return 'upstream_error';
  return 'server_error';
}

export function openAIErrorBody(
  status: number,
  message: string,
  code: string | null,
  param: string | null = null,
) {
  return { error: { message, type: typeFor(status), param, code } } satisfies OpenAIErrorBody;
}

/**
 * Turns anything thrown into (status, OpenAI error JSON). Only BrokeErrors speak their message:
 * anything else is a bug and gets a generic 500 so stack traces and internals never leak.
 */
export function toOpenAIError(err: unknown): { status: ContentfulStatusCode; body: OpenAIErrorBody } {
  if (err instanceof BrokeError) {
    const status = (err.status >= 400 && err.status < 600 ? err.status : 500) as ContentfulStatusCode;
    const param = err instanceof ValidationError ? (err.field ?? null) : null;
    return { status, body: openAIErrorBody(status, err.toLine(), err.code, param) };
  }
  return { status: 500, body: openAIErrorBody(500, 'internal gateway error', 'internal_error') };
}

/** toOpenAIError, with anything unexpected (a bug) logged: what every error answer goes through. */
export function errorAnswer(err: unknown): ReturnType<typeof toOpenAIError> {
  const answer = toOpenAIError(err);
  if (answer.status === 500 && !(err instanceof BrokeError))
    console.error('[broke gateway] unexpected error:', err);
  return answer;
}

export function sendError(c: Context, err: unknown): Response {
  const { status, body } = errorAnswer(err);
  return c.json(body, status);
}
