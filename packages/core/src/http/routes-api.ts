import type { Context } from 'hono';
import type { ClusterState } from '../cluster/cluster-state.js';
import { BrokeError } from '../errors.js';
import type { Feedback } from '../learning/outcome.js';
import type { RouteSummary } from '../routing/route-log.js';
import type { FeedbackTarget } from '../routing/router.js';
import type { RouterLike } from '../serving/router-like.js';
import { clientOf } from './auth.js';
import { FeedbackBodySchema, parseJsonBody, parseRequestBody, RoutesQuerySchema } from './schemas.js';

/**
 * POST /v1/feedback: a caller's judgement of a route's answer, which the router learns from. The
 * target is a route id, or a selection (`{session, role?, last?}`) for callers that never see ids.
 */
export function feedbackHandler(
  router: RouterLike,
  /** Told what was rated once it was applied (metrics count feedback per team, role and model). */
  onRated?: (routeIds: readonly string[], feedback: Feedback) => void,
) {
  return async (c: Context) => {
    const body = parseRequestBody(FeedbackBodySchema, parseJsonBody(await c.req.text()));
    const routeId = body.route_id ?? body.routeId;
    const target: FeedbackTarget =
      routeId !== undefined
        ? { routeId }
        : (body.selection ?? {
            last: body.last ?? 1,
            ...(body.session !== undefined ? { session: body.session } : {}),
            ...(body.team !== undefined ? { team: body.team } : {}),
            ...(body.role !== undefined ? { role: body.role } : {}),
          });
    const feedback: Feedback = {
      ...(body.score !== undefined ? { score: body.score } : {}),
      ...(body.success !== undefined ? { success: body.success } : {}),
      ...(body.thumbs !== undefined ? { thumbs: body.thumbs } : {}),
    };
    const routeIds =
      body.outcome === 'session' && body.session !== undefined
        ? await rateSession(router, body.session, feedback, body.id, clientOf(c))
        : await router.rate(target, feedback, body.id, clientOf(c));
    try {
      onRated?.(routeIds, feedback);
    } catch {
      // counting it must not fail the feedback
    }
    return c.json({
      ok: true,
      ...(routeId !== undefined ? { route_id: routeId } : {}),
      route_ids: routeIds,
      ...(body.id !== undefined ? { id: body.id } : {}),
    });
  };
}

/** A session outcome; a custom router without hand-off learning rates the session's routes. */
function rateSession(
  router: RouterLike,
  session: string,
  feedback: Feedback,
  id: string | undefined,
  viewer: string | undefined,
): Promise<string[]> {
  return router.rateSession
    ? router.rateSession(session, feedback, id, viewer)
    : router.rate({ session, last: 100 }, feedback, id, viewer);
}

/** One route in the listing, in the API's snake_case; `explanation` links to the full story. */
function routeEntry(r: RouteSummary, base: string) {
  return {
    id: r.id,
    object: 'broke.route',
    created: Math.floor(r.at / 1000),
    role: r.role ?? null,
    team: r.team ?? null,
    session: r.sessionId ?? null,
    framework: r.framework ?? null,
    depth: r.depth ?? null,
    task_type: r.taskType,
    node: r.nodeId,
    model: r.modelId,
    status: r.status,
    latency_ms: r.latencyMs === undefined ? null : Math.round(r.latencyMs),
    tokens: r.tokens ?? null,
    ...(r.error !== undefined ? { error: r.error } : {}),
    feedback: { count: r.feedback.count, mean_score: r.feedback.meanScore },
    temperature: r.temperature ?? null,
    explanation: `${base}/${encodeURIComponent(r.id)}`,
  };
}

/** GET /v1/routes: recent routes, newest first, filterable, one page per cursor. */
export function listRoutesHandler(router: RouterLike) {
  return (c: Context) => {
    const q = parseRequestBody(RoutesQuerySchema, c.req.query(), 'query');
    const viewer = clientOf(c);
    const page = router.listRoutes({
      limit: q.limit,
      ...(viewer !== undefined ? { owner: viewer } : {}),
      ...(q.session !== undefined ? { session: q.session } : {}),
      ...(q.team !== undefined ? { team: q.team } : {}),
      ...(q.role !== undefined ? { role: q.role } : {}),
      ...(q.model !== undefined ? { model: q.model } : {}),
      ...(q.node !== undefined ? { node: q.node } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(q.cursor !== undefined ? { before: q.cursor } : {}),
    });
    const base = c.req.path.replace(/\/+$/, '');
    return c.json({
      object: 'list',
      data: page.data.map((r) => routeEntry(r, base)),
      has_more: page.nextCursor !== undefined,
      next_cursor: page.nextCursor === undefined ? null : `c${page.nextCursor.toString(36)}`,
    });
  };
}

/** GET /v1/routes/:id: why the router chose what it chose, with the failover attempts. */
export function explainHandler(router: RouterLike) {
  return async (c: Context) => {
    const id = c.req.param('id') ?? '';
    // Not made here: another replica's route (or an earlier run's), rebuilt from the shared log.
    const explanation =
      (await router.explain(id, clientOf(c))) ?? (await router.recoverExplanation?.(id, clientOf(c)));
    if (!explanation) throw new BrokeError('route_not_found', `No route with id '${id}'`, { status: 404 });
    return c.json(explanation);
  };
}

/** `shared`: replicas share slots through Redis; `degraded` says whether this one lost it. */
export function healthHandler(cluster: ClusterState, shared?: { readonly degraded: boolean }) {
  return (c: Context) => {
    const nodes = cluster
      .nodes()
      .map((n) => ({ id: n.id, up: n.up, inFlight: n.inFlight, capacity: n.capacity }));
    if (!shared) return c.json({ status: 'ok', nodes });
    return c.json({ status: 'ok', shared_state: shared.degraded ? 'degraded' : 'shared', nodes });
  };
}
