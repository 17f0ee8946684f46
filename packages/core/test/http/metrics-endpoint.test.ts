import { describe, expect, it } from 'vitest';
import { ClusterState, createGatewayApp, LabelFold, Router } from '../../src/index.js';
import { testConfig } from './helpers.js';
import { only, parseExposition } from './support/prometheus-text.js';

/**
 * /metrics without any request sent to a node: who may scrape it, and the node gauges read from
 * the cluster state at scrape time. The counters and histograms under a real workload over real
 * mlx_lm.server nodes are in observability.test.ts.
 */

const API_KEY = 'sk-api-key-0001';
const ADMIN_KEY = 'sk-admin-key-0001';
const SCRAPE_TOKEN = 'scrape-token-0001';

function app(overrides: Parameters<typeof testConfig>[0] = {}) {
  const config = testConfig(overrides);
  const cluster = new ClusterState(config.nodes);
  const router = new Router({ config, cluster });
  return { app: createGatewayApp({ config, router, cluster }), cluster };
}

const scrape = (a: ReturnType<typeof createGatewayApp>, key?: string) =>
  a.request('/metrics', key ? { headers: { authorization: `Bearer ${key}` } } : {});

describe('GET /metrics: who may scrape', () => {
  it('is open when the gateway has no keys, in the Prometheus text format', async () => {
    const res = await scrape(app().app);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const e = parseExposition(await res.text());
    expect(e.types.get('broke_requests_total')).toBe('counter');
    expect(e.types.get('broke_ttft_seconds')).toBe('histogram');
    expect(e.types.get('broke_node_up')).toBe('gauge');
  });

  it('with API keys: needs an API or admin key, like the API', async () => {
    const a = app({ gateway: { apiKeys: [API_KEY], adminKeys: [ADMIN_KEY] } }).app;
    const denied = await scrape(a);
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    expect((await scrape(a, 'sk-wrong-key-0001')).status).toBe(401);
    expect((await scrape(a, API_KEY)).status).toBe(200);
    expect((await scrape(a, ADMIN_KEY)).status).toBe(200);
  });

  it('with a metrics token: that token or an admin key, not an API key', async () => {
    const a = app({
      gateway: { apiKeys: [API_KEY], adminKeys: [ADMIN_KEY] },
      observability: { metrics: { token: SCRAPE_TOKEN } },
    }).app;
    expect((await scrape(a, SCRAPE_TOKEN)).status).toBe(200);
    expect((await scrape(a, ADMIN_KEY)).status).toBe(200);
    expect((await scrape(a, API_KEY)).status).toBe(401);
    expect((await scrape(a)).status).toBe(401);
    // The token opens /metrics only.
    expect(
      (await a.request('/v1/models', { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } })).status,
    ).toBe(401);
  });

  it('a metrics token guards /metrics even on a gateway without API keys', async () => {
    const a = app({ observability: { metrics: { token: SCRAPE_TOKEN } } }).app;
    expect((await scrape(a)).status).toBe(401);
    expect((await scrape(a, SCRAPE_TOKEN)).status).toBe(200);
  });

  it('is not there when metrics are off', async () => {
    const res = await scrape(app({ observability: { metrics: { enabled: false } } }).app);
    expect(res.status).toBe(404);
  });

  it('a config with an unknown metrics key is refused, naming the key meant', () => {
    expect(() => testConfig({ observability: { metrics: { topRole: 3 } } } as never)).toThrow(/topRoles/);
  });
});

describe('node gauges are the cluster state when scraped', () => {
  it('up, in flight, queues, capacity and cooldown per node', async () => {
    const { app: a, cluster } = app();
    cluster.update('a', { up: false, inFlight: 2, waiting: 3, queued: 1 });
    (cluster.node('b') as { cooldownUntil: number }).cooldownUntil = Date.now() + 60_000;
    const e = parseExposition(await (await scrape(a)).text());
    expect(only(e, 'broke_node_up', { node: 'a' })).toBe(0);
    expect(only(e, 'broke_node_up', { node: 'b' })).toBe(1);
    expect(only(e, 'broke_node_in_flight', { node: 'a' })).toBe(2);
    expect(only(e, 'broke_node_queue', { node: 'a' })).toBe(3);
    expect(only(e, 'broke_node_server_queue', { node: 'a' })).toBe(1);
    expect(only(e, 'broke_node_capacity', { node: 'a' })).toBe(2);
    expect(only(e, 'broke_node_cooldown_seconds', { node: 'a' })).toBe(0);
    const cooling = only(e, 'broke_node_cooldown_seconds', { node: 'b' });
    expect(cooling).toBeGreaterThan(0);
    expect(cooling).toBeLessThanOrEqual(60);
    // The next scrape reads the state again.
    cluster.update('a', { up: true, inFlight: 0 });
    const again = parseExposition(await (await scrape(a)).text());
    expect(only(again, 'broke_node_up', { node: 'a' })).toBe(1);
    expect(only(again, 'broke_node_in_flight', { node: 'a' })).toBe(0);
  });
});

describe('LabelFold', () => {
  it('keeps the first N names, counts later ones as other, and a missing one as none', () => {
    const fold = new LabelFold(2, ['seeded']);
    expect(fold.fold('seeded')).toBe('seeded');
    expect(fold.fold('writer')).toBe('writer');
    expect(fold.fold('reviewer')).toBe('other');
    expect(fold.fold('writer')).toBe('writer');
    expect(fold.fold(undefined)).toBe('none');
    expect(fold.fold('')).toBe('none');
    expect(new LabelFold(5).fold('x'.repeat(500))).toHaveLength(100);
  });
});
