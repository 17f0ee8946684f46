import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import { openAIErrorBody } from './openai-error.js';
import { requestHeaders } from './request-io.js';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  // An address, not a name that happens to start with "127." (127.evil.example).
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIPv4(v4) && v4.startsWith('127.');
}

/** Context key of the caller's identity: a digest of its API key (never the key itself). */
const CLIENT = 'brokeClient';

/** Who is calling, when keys are configured (a key digest); undefined when the gateway is open. */
export function clientOf(c: Context): string | undefined {
  return c.get(CLIENT as never) as string | undefined;
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Compare in constant time so key bytes cannot be guessed from response timing.
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * `Authorization: Bearer <key>` against the configured keys; no keys configured → open. Each
 * caller is known by its key's digest (routes are readable and rateable by the key that made
 * them); `adminKeys` see every route. `openPrefixes` are folders served without a key (the
 * dashboard's static files, which hold no data: a browser cannot send a header when it navigates).
 */
export function bearerAuth(
  keys: readonly string[],
  open: readonly string[] = ['/health'],
  adminKeys: readonly string[] = [],
  openPrefixes: readonly string[] = [],
): MiddlewareHandler {
  const digests = new Map(keys.map((k) => [k, digest(k)]));
  const underOpen = (path: string) => openPrefixes.some((p) => path === p || path.startsWith(`${p}/`));
  return async (c, next) => {
    if (keys.length === 0 || open.includes(c.req.path) || underOpen(c.req.path)) return next();
    const header = requestHeaders(c).get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = match?.[1]?.trim();
    if (given && adminKeys.some((k) => same(k, given))) return next();
    const key = given ? keys.find((k) => same(k, given)) : undefined;
    if (key === undefined) {
      return c.json(
        openAIErrorBody(401, 'Missing or invalid API key (Authorization: Bearer <key>)', 'invalid_api_key'),
        401,
      );
    }
    c.set(CLIENT as never, digests.get(key) as never);
    return next();
  };
}
