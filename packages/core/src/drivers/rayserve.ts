import type { CallOptions, NodeHealth, NodeMetrics } from '../spec/index.js';
import { httpGet } from './http.js';
import { errorText, OpenAICompatibleDriver } from './openai-compatible.js';
import { parsePrometheus } from './prometheus.js';

/** The part of Serve's `GET /api/serve/applications/` answer this driver reads. */
interface ServeDetails {
  applications?: Record<
    string,
    {
      status?: string;
      route_prefix?: string | null;
      deployments?: Record<string, ServeDeployment>;
    }
  >;
}

interface ServeDeployment {
  target_num_replicas?: number;
  replica_states?: Record<string, number>;
  replicas?: { state?: string }[];
  deployment_config?: { max_ongoing_requests?: number };
}

/** What one read of the Serve REST API says about this node's application. */
export interface RayServeSnapshot {
  application: string;
  deployment: string;
  runningReplicas: number;
  targetReplicas: number;
  maxOngoingRequests: number;
}

/** Serve's default `max_ongoing_requests` (used when a deployment's config leaves it out). */
const SERVE_DEFAULT_MAX_ONGOING = 5;
/** A health check and the metrics read right after it share one REST answer. */
const SNAPSHOT_REUSE_MS = 1000;

/**
 * A Ray Serve application with an OpenAI-compatible route (examples/rayserve/app.py is one).
 * Chat goes to the node's `url` (the Serve HTTP proxy). Observes, from Ray's own APIs: replicas and
 * `max_ongoing_requests` from the Serve REST API on the dashboard (capacity = running replicas ×
 * max_ongoing_requests, so the node grows and shrinks with its replicas); with `rayserve.metricsUrl`,
 * queued and running requests from Ray's Prometheus metrics. Health: at least one replica running.
 */
export class RayServeDriver extends OpenAICompatibleDriver {
  override readonly kind: string = 'rayserve';
  override readonly observes = { loadedModels: true, queueDepth: true, memory: false, metrics: true };
  private last: { at: number; snapshot: RayServeSnapshot } | undefined;

  private get dashboardUrl(): string {
    const configured = this.node.rayserve?.dashboardUrl;
    if (configured) return configured.replace(/\/+$/, '');
    const u = new URL(this.baseUrl);
    return `${u.protocol}//${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:8265`;
  }

  /** Reads the application's replicas and per-replica concurrency from the Serve REST API. */
  async snapshot(options: CallOptions = {}): Promise<RayServeSnapshot> {
    const url = `${this.dashboardUrl}/api/serve/applications/`;
    const res = await httpGet(url, options);
    if (res.status !== 200) throw new Error(`Ray's Serve API at ${url} answered ${res.status}`);
    const snapshot = pickDeployment(JSON.parse(res.text) as ServeDetails, {
      application: this.node.rayserve?.application,
      deployment: this.node.rayserve?.deployment,
      routePrefix: new URL(this.baseUrl).pathname,
    });
    this.last = { at: Date.now(), snapshot };
    return snapshot;
  }

  override async health(options: CallOptions = {}): Promise<NodeHealth> {
    const start = performance.now();
    try {
      const s = await this.snapshot(options);
      const latencyMs = performance.now() - start;
      if (s.runningReplicas > 0) return { ok: true, latencyMs };
      return {
        ok: false,
        latencyMs,
        error: `Serve deployment ${s.application}/${s.deployment} has no running replica (target ${s.targetReplicas})`,
      };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - start, error: errorText(err) };
    }
  }

  override async metrics(options: CallOptions = {}): Promise<NodeMetrics> {
    const fresh = this.last && Date.now() - this.last.at < SNAPSHOT_REUSE_MS ? this.last.snapshot : undefined;
    const [snapshot, models, queue] = await Promise.all([
      fresh ?? this.snapshot(options),
      this.listModels(options).catch(() => undefined),
      this.queue(options).catch(() => undefined),
    ]);
    const out: NodeMetrics = {};
    if (snapshot.runningReplicas > 0) out.capacity = snapshot.runningReplicas * snapshot.maxOngoingRequests;
    // Every model the app lists is loaded in each running replica.
    if (models) out.loadedModels = models;
    if (queue) Object.assign(out, queue);
    return out;
  }

  /** Queued and running requests of this deployment from Ray's metrics, when its URL is configured. */
  private async queue(options: CallOptions): Promise<Pick<NodeMetrics, 'queued' | 'running'> | undefined> {
    const url = this.node.rayserve?.metricsUrl;
    if (!url || !this.last) return undefined;
    const res = await httpGet(url, options);
    if (res.status !== 200) return undefined;
    const { application, deployment } = this.last.snapshot;
    let queued: number | undefined;
    let running: number | undefined;
    for (const s of parsePrometheus(res.text)) {
      if (s.labels.application !== application || s.labels.deployment !== deployment) continue;
      if (s.name === 'ray_serve_deployment_queued_queries') queued = (queued ?? 0) + s.value;
      else if (s.name === 'ray_serve_replica_processing_queries') running = (running ?? 0) + s.value;
    }
    return {
      ...(queued !== undefined ? { queued } : {}),
      ...(running !== undefined ? { running } : {}),
    };
  }
}

/**
 * The deployment that bounds this node's capacity: the configured one, else the application's
 * only deployment, else the one with the least capacity (a request passes through each).
 */
export function pickDeployment(
  details: ServeDetails,
  want: { application?: string | undefined; deployment?: string | undefined; routePrefix?: string },
): RayServeSnapshot {
  const apps = details.applications ?? {};
  const names = Object.keys(apps);
  let application = want.application;
  if (!application) {
    const prefix = (want.routePrefix ?? '/').replace(/\/+$/, '') || '/';
    application =
      names.length === 1
        ? names[0]
        : names.find(
            (n) => (apps[n]?.route_prefix ?? '/').replace(/\/+$/, '') === prefix.replace(/\/+$/, ''),
          );
  }
  const app = application ? apps[application] : undefined;
  if (!application || !app) {
    const which = want.application
      ? `no application "${want.application}"`
      : 'no application matches this node';
    throw new Error(
      `Ray Serve has ${which} (running: ${names.join(', ') || 'none'}); set rayserve.application on the node`,
    );
  }
  const snapshots = Object.entries(app.deployments ?? {}).map(([name, d]) =>
    toSnapshot(application, name, d),
  );
  const picked = want.deployment
    ? snapshots.find((s) => s.deployment === want.deployment)
    : snapshots.sort(
        (a, b) => a.runningReplicas * a.maxOngoingRequests - b.runningReplicas * b.maxOngoingRequests,
      )[0];
  if (!picked) {
    throw new Error(
      want.deployment
        ? `Ray Serve application "${application}" has no deployment "${want.deployment}"`
        : `Ray Serve application "${application}" has no deployments yet`,
    );
  }
  return picked;
}

function toSnapshot(application: string, deployment: string, d: ServeDeployment): RayServeSnapshot {
  // Ray lists replicas with their state; older releases gave only counts per state.
  const running = d.replicas
    ? d.replicas.filter((r) => r.state === 'RUNNING').length
    : (d.replica_states?.RUNNING ?? 0);
  return {
    application,
    deployment,
    runningReplicas: running,
    targetReplicas: d.target_num_replicas ?? running,
    maxOngoingRequests: d.deployment_config?.max_ongoing_requests ?? SERVE_DEFAULT_MAX_ONGOING,
  };
}
