import { createServer, type RequestListener, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { InteractionCapture } from '../capture/interaction-capture.js';
import { ClusterState } from '../cluster/cluster-state.js';
import { ReplicaState } from '../cluster/replica-state.js';
import { WarmUpPlanner } from '../cluster/warm-up.js';
import type { BrokeConfig } from '../config/schema.js';
import { BrokeError } from '../errors.js';
import { SessionAffinity } from '../learning/session-affinity.js';
import { type GatewayTracing, startTracing } from '../observability/tracing.js';
import { Router } from '../routing/router.js';
import type { RouteExplanation } from '../routing/types.js';
import { driverLookup } from '../serving/driver-lookup.js';
import type { RouterLike } from '../serving/router-like.js';
import { openStatsStore } from '../stores/open-stats-store.js';
import { createGatewayHttp, type GatewayAppOptions } from './app.js';
import { isLoopbackHost } from './auth.js';
import { type GatewayBridge, loadInstalledBridges } from './bridge.js';

export interface StartGatewayOptions
  extends Omit<GatewayAppOptions, 'router' | 'cluster' | 'bridges' | 'replicas' | 'warmUp'> {
  config: BrokeConfig;
  /** Defaults to a Router over the configured stats store (closed with the gateway). */
  router?: RouterLike;
  cluster?: ClusterState;
  /**
   * Bridges mounted under their prefixes. Default: every installed one (@broke/crewai-bridge at
   * /crewai, @broke/autogen-bridge at /autogen). Pass [] for none.
   */
  bridges?: readonly GatewayBridge[];
  /** Override config.gateway.host / port (0 = any free port). */
  host?: string;
  port?: number;
  /** Connection limits (defaults: DEFAULT_LIMITS). */
  limits?: Partial<GatewayLimits>;
  /**
   * Slots, cooldowns and sessions shared with other replicas: by default one over the store's
   * Redis when `store.kind` is redis (closed with the gateway); false: this process's own.
   */
  replicas?: ReplicaState | false;
}

/**
 * What one client can hold of the gateway. Connections are capped below the process's file
 * descriptors (so idle sockets cannot starve node and monitor connections); a connection must
 * send its headers, and its whole request, within bounded times; idle keep-alive sockets close.
 */
export interface GatewayLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  /** Time to receive the whole request (not the answer: streams may run long). */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** How often headers / request timeouts are checked. */
  checkIntervalMs: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxConnections: 2048,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};

export interface RunningGateway {
  url: string;
  host: string;
  port: number;
  app: Hono;
  router: RouterLike;
  cluster: ClusterState;
  /** Its OpenTelemetry tracing when on (`forceFlush()` exports every span ended so far). */
  tracing?: GatewayTracing;
  /** Predictive warm-up, when `warmup.enabled` and the router is the gateway's own. */
  warmUp?: WarmUpPlanner;
  close(): Promise<void>;
}

/** Refuses to listen beyond loopback without API keys: an open gateway spends someone's GPUs. */
export function assertSafeBind(host: string, apiKeys: readonly string[]): void {
  if (!isLoopbackHost(host) && apiKeys.length === 0) {
    throw new BrokeError('insecure_bind', `refusing to listen on ${host} without API keys`, {
      hint: 'set gateway.apiKeys in broke.yaml, or bind 127.0.0.1',
      status: 500,
    });
  }
}

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const { config } = options;
  const host = options.host ?? config.gateway.host;
  const port = options.port ?? config.gateway.port;
  assertSafeBind(host, [...config.gateway.apiKeys, ...config.gateway.adminKeys]);
  // Before anything else is opened: a bad OTEL_* URL fails the start with nothing to clean up.
  // Tracing we started is ours to flush and stop on close; tracing passed in is the caller's.
  const ownTracing = options.tracing
    ? undefined
    : await startTracing(config.observability?.tracing, {
        ...(options.requestLogger
          ? { onExportError: (m: string) => options.requestLogger?.warn({ event: 'trace_export_failed' }, m) }
          : {}),
      });
  const tracing = options.tracing ?? ownTracing;
  const cluster = options.cluster ?? new ClusterState(config.nodes);
  const ownReplicas =
    options.replicas === undefined && config.store.kind === 'redis'
      ? new ReplicaState({
          url: config.store.url,
          prefix: config.store.prefix,
          cluster,
          ...(config.store.replicas ?? {}),
        })
      : undefined;
  const replicas = options.replicas === false ? undefined : (options.replicas ?? ownReplicas);
  await ownReplicas?.start();
  // Sessions are shared when the router is ours (a router passed in keeps its own memory).
  const affinity = replicas && !options.router ? new SessionAffinity() : undefined;
  if (affinity) replicas?.attach(affinity);
  // Fed by our router's decisions (a router passed in has its own onDecision, if any).
  const warmUp =
    config.warmup?.enabled && !options.router
      ? new WarmUpPlanner({
          config: config.warmup,
          nodes: config.nodes,
          models: config.models,
          cluster,
          driver: driverLookup(config, options.drivers),
          onEvent: (e) => options.requestLogger?.info(e, e.event),
        })
      : undefined;
  // A router we made is ours to close (it owns the store); a router passed in is the caller's.
  const owned = options.router
    ? undefined
    : await Router.create({
        config,
        cluster,
        store: openStatsStore(config.store),
        ...(affinity ? { affinity } : {}),
        ...(warmUp ? { onDecision: (e: RouteExplanation) => warmUp.observe(e) } : {}),
      }).catch(async (err: unknown) => {
        await ownReplicas?.close();
        throw err;
      });
  const router: RouterLike = options.router ?? (owned as Router);
  // Capture opened here is ours to close; one passed in is the caller's.
  let ownCapture: InteractionCapture | undefined;
  try {
    ownCapture =
      options.capture === undefined && config.capture
        ? new InteractionCapture({ config: config.capture })
        : undefined;
  } catch (err) {
    await Promise.all([ownTracing?.shutdown(), owned?.close(), ownReplicas?.close()]);
    throw err;
  }
  const capture = options.capture ?? ownCapture;
  const bridges = options.bridges ?? (await loadInstalledBridges());
  const { replicas: _replicas, ...appOptions } = options;
  const { app, lane } = createGatewayHttp({
    processMetrics: true,
    ...appOptions,
    router,
    cluster,
    bridges,
    ...(tracing ? { tracing } : {}),
    ...(replicas ? { replicas } : {}),
    ...(warmUp ? { warmUp } : {}),
    ...(capture ? { capture } : {}),
  });
  const configured = Object.fromEntries(
    Object.entries(config.gateway.limits ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<GatewayLimits>;
  const limits = { ...DEFAULT_LIMITS, ...configured, ...options.limits };
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        // Chat requests take the lane (chat-lane.ts); everything else goes through hono.
        // (node-server calls it as createServer(serverOptions, listener); the type lists every overload.)
        createServer: ((serverOptions: ServerOptions, listener: RequestListener) =>
          createServer(serverOptions, lane(listener))) as typeof createServer,
        hostname: host,
        port,
        serverOptions: {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          connectionsCheckingInterval: limits.checkIntervalMs,
        },
      },
      () => resolve(s),
    );
    (s as { maxConnections?: number }).maxConnections = limits.maxConnections;
    s.once('error', reject);
  }).catch(async (err: unknown) => {
    ownCapture?.close();
    await Promise.all([ownTracing?.shutdown(), owned?.close(), ownReplicas?.close()]);
    throw err;
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${bound}`,
    host,
    port: bound,
    app,
    router,
    cluster,
    ...(tracing ? { tracing } : {}),
    ...(warmUp ? { warmUp } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        warmUp?.close();
        // Streams may be open: drop them rather than wait for long generations to end.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => {
          // After the last request ended: a stream dropped above still tells its observers.
          ownCapture?.close();
          // The last spans go out before the process may exit.
          const closing = [owned?.close(), ownTracing?.shutdown(), ownReplicas?.close()].map((p) =>
            p?.catch(() => {}),
          );
          Promise.all(closing).then(() => resolve());
        });
      }),
  };
}
