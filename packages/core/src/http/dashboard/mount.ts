import type { Context, Hono } from 'hono';
import type { ClusterState } from '../../cluster/cluster-state.js';
import type { BrokeConfig } from '../../config/schema.js';
import type { RouterLike } from '../../serving/router-like.js';
import { clientOf } from '../auth.js';
import { openAIErrorBody } from '../openai-error.js';
import { nodeBindings } from '../request-io.js';
import { DashboardHub, type DashboardOptions } from './hub.js';
import { UI_SECURITY_HEADERS, UiAssets } from './static-files.js';

/** Where the page is served; its files carry no data, so they need no key (see UI_OPEN_PREFIX). */
export const UI_PATH = '/ui';
/** The live feed: behind the API keys like every other /v1 endpoint. */
export const DASHBOARD_EVENTS_PATH = '/v1/dashboard/events';

/**
 * The dashboard: its static page at /ui (index.html, scripts, styles from `packages/core/ui`) and
 * its event stream at /v1/dashboard/events. Read-only: nothing here changes the router or the
 * cluster. Returns the hub (closed with the gateway).
 */
export function mountDashboard(
  app: Hono,
  deps: { config: BrokeConfig; router: RouterLike; cluster: ClusterState },
  options: DashboardOptions = {},
  assets = new UiAssets(),
): DashboardHub {
  const hub = new DashboardHub(deps, options);
  const serve = (c: Context, name: string) => {
    const asset = assets.get(name);
    if (!asset) return c.json(openAIErrorBody(404, `Unknown dashboard file ${c.req.path}`, 'not_found'), 404);
    const headers = { ...UI_SECURITY_HEADERS, etag: asset.etag, 'cache-control': 'no-cache' };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { ...headers, 'content-type': asset.type });
  };
  app.get(UI_PATH, (c) => serve(c, 'index.html'));
  app.get(`${UI_PATH}/`, (c) => serve(c, 'index.html'));
  app.get(`${UI_PATH}/:name`, (c) => serve(c, c.req.param('name')));
  app.get(DASHBOARD_EVENTS_PATH, (c) => {
    const outgoing = nodeBindings(c).outgoing;
    return hub.connect({ owner: clientOf(c) }, outgoing ? () => outgoing.destroy() : undefined);
  });
  return hub;
}
