import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { GatewayConfig } from '../config/schema.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { openAIErrorBody } from './openai-error.js';
import { requestHeaders } from './request-io.js';

/**
 * Who may scrape: with `observability.metrics.token`, that token (or an admin key); else, like the
 * API, any API or admin key once API keys are configured; else anyone who reaches the gateway.
 */
export function metricsKeys(gateway: GatewayConfig, token: string | undefined): string[] {
  if (token !== undefined) return [token, ...gateway.adminKeys];
  if (gateway.apiKeys.length > 0) return [...gateway.apiKeys, ...gateway.adminKeys];
  return [];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** GET /metrics: the Prometheus text exposition. */
export function metricsHandler(metrics: GatewayMetrics, keys: readonly string[]) {
  // Digests of equal length, compared in constant time: timing says nothing about a key's bytes.
  const allowed = keys.map(digest);
  return async (c: Context) => {
    if (allowed.length > 0) {
      const given = /^Bearer\s+(.+)$/i.exec(requestHeaders(c).get('authorization') ?? '')?.[1]?.trim();
      const d = given === undefined ? undefined : digest(given);
      if (!d || !allowed.some((k) => timingSafeEqual(k, d)))
        return c.json(
          openAIErrorBody(
            401,
            'Missing or invalid metrics token (Authorization: Bearer <token>)',
            'invalid_api_key',
          ),
          401,
        );
    }
    const text = await metrics.text();
    c.header('content-type', metrics.contentType);
    return c.body(text, 200);
  };
}
