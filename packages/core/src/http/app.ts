import type { RequestListener } from 'node:http';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { InteractionCapture } from '../capture/interaction-capture.js';
import type { ClusterState } from '../cluster/cluster-state.js';
import type { ReplicaState } from '../cluster/replica-state.js';
import { ObservabilitySchema } from '../config/observability-schema.js';
import type { BrokeConfig } from '../config/schema.js';
import type { Framework } from '../context/agent-context.js';
import type { Feedback } from '../learning/outcome.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { type RequestLogSink, requestLogObserver } from '../observability/request-log.js';
import { pinoRequestObserver } from '../observability/request-logger.js';
import type { GatewayTracing } from '../observability/tracing.js';
import { type DriverSource, driverLookup } from '../serving/driver-lookup.js';
import type { RequestObserver } from '../serving/request-observer.js';
import type { RouterLike } from '../serving/router-like.js';
import { ApiKeys, bearerAuth } from './auth.js';
import { limitBody } from './body-limit.js';
import type { GatewayBridge } from './bridge.js';
import { type ChatDeps, chatCompletions } from './chat-completions.js';
import { type ChatHandler, honoChatRoute } from './chat-exchange.js';
import { chatLane } from './chat-lane.js';
import { ClientSlots, clientConcurrency } from './client-limit.js';
import type { DashboardOptions } from './dashboard/hub.js';
import { mountDashboard, UI_PATH } from './dashboard/mount.js';
import { metricsHandler, metricsKeys } from './metrics-endpoint.js';
import { getModelHandler, listModelsHandler } from './models.js';
import { openAIErrorBody, sendError } from './openai-error.js';
import type { ContextExtractor } from './request-context.js';
import { explainHandler, feedbackHandler, healthHandler, listRoutesHandler } from './routes-api.js';
import { statusHandler } from './status-api.js';

export interface GatewayAppOptions {
  config: BrokeConfig;
  router: RouterLike;
  cluster: ClusterState;
  /** Drivers by node id, or a factory; defaults to the drivers module's `createDriver`. */
  drivers?: DriverSource;
  /** Framework bridges mounted under their prefixes, sharing this router and cluster. */
  bridges?: readonly GatewayBridge[];
  /** Extractor for the unprefixed API (the standalone bridges use their own here). */
  extractor?: ContextExtractor;
  framework?: Framework;
  /** One line per chat request when it ends (route, role, session, node, model, status, ms). */
  requestLog?: RequestLogSink;
  /** The same line as JSON on a pino logger (`serve`, the bridges: stdout), levelled by outcome. */
  requestLogger?: Logger;
  /** More observers of each request's end (see request-observer.ts), after the log and metrics. */
  observers?: readonly RequestObserver[];
  /** Node.js process metrics (CPU, memory, event loop) on /metrics too; startGateway turns them on. */
  processMetrics?: boolean;
  /** OpenTelemetry spans per chat request (startGateway starts them from observability.tracing). */
  tracing?: GatewayTracing;
  /** The live dashboard at /ui with its feed at /v1/dashboard/events (default on); false: none. */
  dashboard?: DashboardOptions | false;
  /** Slots, cooldowns and sessions shared with other replicas (startGateway: `store.kind: redis`). */
  replicas?: ReplicaState;
  /** Predictive warm-up (startGateway: `warmup.enabled`): its tallies on /metrics. */
  warmUp?: { readonly counts: Readonly<Record<'sent' | 'done' | 'failed' | 'skipped', number>> };
  /** Prompt and answer capture for export-data (startGateway: `capture:` in the config). */
  capture?: InteractionCapture;
}

/** Requests one client may have in progress at once, unless gateway.limits says otherwise. */
export const MAX_REQUESTS_PER_CLIENT = 256;

/** The OpenAI-compatible API under `prefix` ('' for the root); its chat handler goes in `chats` too. */
function mountApi(
  app: Hono,
  chats: Map<string, ChatHandler>,
  prefix: string,
  deps: ChatDeps,
  metrics?: GatewayMetrics,
  capture?: InteractionCapture,
): void {
  const chat = chatCompletions(deps);
  chats.set(`${prefix}/v1/chat/completions`, chat);
  app.post(`${prefix}/v1/chat/completions`, honoChatRoute(chat));
  app.get(`${prefix}/v1/models`, listModelsHandler(deps.router));
  app.get(`${prefix}/v1/models/:id{.+}`, getModelHandler(deps.router));
  app.post(`${prefix}/v1/feedback`, feedbackHandler(deps.router, ratedListener(metrics, capture)));
  app.get(`${prefix}/v1/routes`, listRoutesHandler(deps.router));
  app.get(`${prefix}/v1/routes/:id`, explainHandler(deps.router));
  app.get(`${prefix}/health`, healthHandler(deps.cluster, deps.replicas));
}

/** Who hears about applied feedback: metrics count it, capture adds it to the stored interactions. */
function ratedListener(
  metrics: GatewayMetrics | undefined,
  capture: InteractionCapture | undefined,
): ((ids: readonly string[], fb: Feedback) => void) | undefined {
  if (!metrics && !capture) return undefined;
  return (ids, fb) => {
    metrics?.noteFeedback(ids, fb);
    capture?.rated(ids, fb);
  };
}

/**
 * The gateway as a hono app: OpenAI-compatible chat completions routed by BROKE, plus models,
 * feedback, route explanations and health. Tests call `app.request`; `startGateway` serves it
 * behind its chat lane (createGatewayHttp).
 */
export function createGatewayApp(options: GatewayAppOptions): Hono {
  return createGatewayHttp(options).app;
}

/** The gateway's HTTP side on Node: the hono app, and the chat lane in front of its listener (chat-lane.ts). */
export interface GatewayHttp {
  app: Hono;
  /** Wraps the app's Node listener: chat requests are served by the lane, the rest by `next`. */
  lane(next: RequestListener): RequestListener;
}

export function createGatewayHttp(options: GatewayAppOptions): GatewayHttp {
  const { config, router, cluster } = options;
  const nodes = new Map(config.nodes.map((n) => [n.id, n]));
  const observability = config.observability ?? ObservabilitySchema.parse({});
  const metrics = observability.metrics.enabled
    ? new GatewayMetrics({
        metrics: observability.metrics,
        cluster,
        router,
        ...(options.processMetrics ? { processMetrics: true } : {}),
        ...(options.replicas ? { replicas: options.replicas } : {}),
        ...(options.warmUp ? { warmUp: options.warmUp } : {}),
      })
    : undefined;
  // Every request's end goes to these, in one place (chat-completions.ts): logs and metrics alike.
  const observers: RequestObserver[] = [
    ...(options.requestLog
      ? [requestLogObserver(options.requestLog, { prompts: observability.log.prompts })]
      : []),
    ...(options.requestLogger
      ? [pinoRequestObserver(options.requestLogger, { prompts: observability.log.prompts })]
      : []),
    ...(metrics ? [metrics.observe] : []),
    ...(options.observers ?? []),
    ...(options.capture ? [options.capture.observe] : []),
  ];
  const base: ChatDeps = {
    config,
    router,
    cluster,
    driverFor: driverLookup(config, options.drivers),
    nodeConfig: (id) => nodes.get(id),
    maxAttempts: config.routing.maxAttempts,
    ...(options.extractor ? { extractor: options.extractor } : {}),
    ...(options.framework ? { framework: options.framework } : {}),
    ...(observers.length > 0 ? { observers } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
    ...(options.replicas ? { shared: options.replicas, replicas: options.replicas } : {}),
    ...(options.capture ? { capture: options.capture } : {}),
  };
  const app = new Hono();
  app.onError((err, c) => sendError(c, err));
  app.notFound((c) =>
    c.json(openAIErrorBody(404, `Unknown endpoint ${c.req.method} ${c.req.path}`, 'not_found'), 404),
  );
  // /metrics checks its own keys (a scraper's token may not be an API key).
  const openPaths = metrics ? ['/health', '/metrics'] : ['/health'];
  // No keys configured: no auth middleware at all on the hot path.
  const keys = new ApiKeys(config.gateway.apiKeys, config.gateway.adminKeys);
  if (keys.required) app.use('*', bearerAuth(keys, openPaths, [UI_PATH]));
  app.use('*', limitBody(config.gateway.maxBodyBytes));
  const slots = new ClientSlots(config.gateway.limits.maxRequestsPerClient ?? MAX_REQUESTS_PER_CLIENT);
  app.use('*', clientConcurrency(slots));
  const chats = new Map<string, ChatHandler>();
  mountApi(app, chats, '', base, metrics, options.capture);
  if (metrics)
    app.get('/metrics', metricsHandler(metrics, metricsKeys(config.gateway, observability.metrics.token)));
  if (options.dashboard !== false) mountDashboard(app, { config, router, cluster }, options.dashboard ?? {});
  app.get('/v1/status', statusHandler(cluster, router));
  for (const bridge of options.bridges ?? []) {
    const prefix = `/${bridge.prefix.replace(/^\/+|\/+$/g, '')}`;
    mountApi(
      app,
      chats,
      prefix,
      {
        ...base,
        extractor: bridge.extractor,
        framework: bridge.framework,
        ...(bridge.responseModel ? { responseModel: bridge.responseModel } : {}),
      },
      metrics,
      options.capture,
    );
  }
  const lane = { routes: chats, keys, maxBodyBytes: config.gateway.maxBodyBytes, slots };
  return { app, lane: (next) => chatLane(lane, next) };
}
