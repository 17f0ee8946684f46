import type { Context } from 'hono';
import type { ClusterState } from '../cluster/cluster-state.js';
import { BrokeError } from '../errors.js';
import type { Feedback } from '../routing/types.js';
import type { RouterLike } from './router-like.js';
import { FeedbackBodySchema, parseJsonBody, parseRequestBody } from './schemas.js';

/** POST /v1/feedback: a caller's judgement of a route's answer, which the router learns from. */
export function feedbackHandler(router: RouterLike) {
  return async (c: Context) => {
    const body = parseRequestBody(FeedbackBodySchema, parseJsonBody(await c.req.text()));
    const routeId = (body.route_id ?? body.routeId) as string;
    const feedback: Feedback = {
      ...(body.score !== undefined ? { score: body.score } : {}),
      ...(body.success !== undefined ? { success: body.success } : {}),
      ...(body.thumbs !== undefined ? { thumbs: body.thumbs } : {}),
    };
    await router.feedback(routeId, feedback);
    return c.json({ ok: true, route_id: routeId });
  };
}

/** GET /v1/routes/:id: why the router chose what it chose, with the failover attempts. */
export function explainHandler(router: RouterLike) {
  return async (c: Context) => {
    const id = c.req.param('id') ?? '';
    const explanation = await router.explain(id);
    if (!explanation) throw new BrokeError('route_not_found', `No route with id '${id}'`, { status: 404 });
    return c.json(explanation);
  };
}

export function healthHandler(cluster: ClusterState) {
  return (c: Context) => {
    const nodes = cluster
      .nodes()
      .map((n) => ({ id: n.id, up: n.up, inFlight: n.inFlight, capacity: n.capacity }));
    return c.json({ status: 'ok', nodes });
  };
}
