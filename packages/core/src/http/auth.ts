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

/** What a request's `Authorization` header says about its caller. */
export type KeyVerdict =
  /** A configured key: the caller is its digest; an admin key or an open gateway: undefined. */
  { ok: true; client: string | undefined } | { ok: false };

/** The 401 answer's body for a missing or unknown key. */
export const INVALID_KEY_BODY = openAIErrorBody(
  401,
  'Missing or invalid API key (Authorization: Bearer <key>)',
  'invalid_api_key',
);

/** Let in, as no one client: an open gateway, or an admin key. */
const ANYONE: KeyVerdict = { ok: true, client: undefined };
const REFUSED: KeyVerdict = { ok: false };

/**
 * The configured API keys: `Authorization: Bearer <key>` is checked against them (no keys
 * configured → open). Each caller is known by its key's digest (routes are readable and rateable
 * by the key that made them); admin keys see every route and are no one client.
 */
export class ApiKeys {
  private readonly digests: Map<string, string>;

  constructor(
    private readonly keys: readonly string[],
    private readonly adminKeys: readonly string[] = [],
  ) {
    this.digests = new Map(keys.map((k) => [k, digest(k)]));
  }

  /** Whether any key is configured (else every request is let in). */
  get required(): boolean {
    return this.keys.length > 0;
  }

  check(authorization: string | null | undefined): KeyVerdict {
    if (!this.required) return ANYONE;
    const given = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (given && this.adminKeys.some((k) => same(k, given))) return ANYONE;
    const key = given ? this.keys.find((k) => same(k, given)) : undefined;
    return key === undefined ? REFUSED : { ok: true, client: this.digests.get(key) };
  }
}

/**
 * The keys as hono middleware. `open` paths and the folders under `openPrefixes` are served
 * without a key (the dashboard's static files, which hold no data: a browser cannot send a header
 * when it navigates).
 */
export function bearerAuth(
  keys: ApiKeys,
  open: readonly string[] = ['/health'],
  openPrefixes: readonly string[] = [],
): MiddlewareHandler {
  const underOpen = (path: string) => openPrefixes.some((p) => path === p || path.startsWith(`${p}/`));
  return async (c, next) => {
    if (!keys.required || open.includes(c.req.path) || underOpen(c.req.path)) return next();
    const verdict = keys.check(requestHeaders(c).get('authorization'));
    if (!verdict.ok) return c.json(INVALID_KEY_BODY, 401);
    if (verdict.client !== undefined) c.set(CLIENT as never, verdict.client as never);
    return next();
  };
}
