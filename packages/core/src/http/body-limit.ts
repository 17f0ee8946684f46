import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { openAIErrorBody } from './openai-error.js';
import { requestHeaders } from './request-io.js';

/** The 413 answer's body for bodies over `maxBytes`. */
export const tooLargeBody = (maxBytes: number) =>
  openAIErrorBody(413, `Request body exceeds ${maxBytes} bytes`, 'body_too_large');

/** Whether a declared Content-Length is unusable or over `maxBytes`. */
export function declaredTooLarge(declared: string, maxBytes: number): boolean {
  const length = Number(declared);
  return !Number.isFinite(length) || length > maxBytes;
}

/**
 * 413 for bodies over `maxBytes`. A declared Content-Length is checked up front for free; only
 * bodies without one (chunked) pay for hono's counting stream wrapper.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = tooLargeBody(maxBytes);
  const counting = bodyLimit({ maxSize: maxBytes, onError: (c) => c.json(tooLarge, 413) });
  // Not async: the common case hands on next()'s promise instead of wrapping it in another.
  return (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // Node's parsed headers under node-server: no WHATWG Headers built per request.
    const declared = requestHeaders(c).get('content-length');
    if (declared === null) return counting(c, next);
    if (declaredTooLarge(declared, maxBytes)) return Promise.resolve(c.json(tooLarge, 413));
    return next();
  };
}
