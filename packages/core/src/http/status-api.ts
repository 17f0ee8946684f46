import type { Context } from 'hono';
import type { ClusterState } from '../cluster/cluster-state.js';
import { statusReport } from '../cluster/status-report.js';
import type { RouterLike } from '../serving/router-like.js';

/**
 * GET /v1/status: what `broke-cluster status` shows when a gateway runs, from the gateway's own
 * live state: per node in-flight, gateway queue, server queue, loaded and validated models,
 * memory, cooldown and the last error; and the learned quality per model and difficulty band.
 * Behind the same API keys as the rest of the API (open only when no keys are configured, which
 * the gateway allows on loopback only).
 */
export function statusHandler(cluster: ClusterState, router: RouterLike) {
  return (c: Context) =>
    c.json(statusReport(cluster.nodes(), router.stats?.() ?? [], Date.now(), router.escalationSpend?.()));
}
