import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { openAIErrorBody } from './openai-error.js';
import { requestHeaders } from './request-io.js';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h.startsWith('127.') || h === '::ffff:127.0.0.1';
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Compare in constant time so key bytes cannot be guessed from response timing.
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `Authorization: Bearer <key>` against the configured keys; no keys configured → open. */
export function bearerAuth(
  keys: readonly string[],
  open: readonly string[] = ['/health'],
): MiddlewareHandler {
  return async (c, next) => {
    if (keys.length === 0 || open.includes(c.req.path)) return next();
    const header = requestHeaders(c).get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = match?.[1]?.trim();
    if (!given || !keys.some((k) => same(k, given))) {
      return c.json(
        openAIErrorBody(401, 'Missing or invalid API key (Authorization: Bearer <key>)', 'invalid_api_key'),
        401,
      );
    }
    return next();
  };
}
