import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { openAIErrorBody } from './openai-error.js';
import { requestHeaders } from './request-io.js';

/**
 * 413 for bodies over `maxBytes`. A declared Content-Length is checked up front for free; only
 * bodies without one (chunked) pay for hono's counting stream wrapper.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = openAIErrorBody(413, `Request body exceeds ${maxBytes} bytes`, 'body_too_large');
  const counting = bodyLimit({ maxSize: maxBytes, onError: (c) => c.json(tooLarge, 413) });
  // Not async: the common case hands on next()'s promise instead of wrapping it in another.
  return (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // Node's parsed headers under node-server: no WHATWG Headers built per request.
    const declared = requestHeaders(c).get('content-length');
    if (declared === null) return counting(c, next);
    const length = Number(declared);
    if (!Number.isFinite(length) || length > maxBytes) return Promise.resolve(c.json(tooLarge, 413));
    return next();
  };
}
