import type { ClusterState } from '../../cluster/cluster-state.js';
import { type NodeStatus, statusReport } from '../../cluster/status-report.js';
import type { BrokeConfig } from '../../config/schema.js';
import { BrokeError } from '../../errors.js';
import { ANY } from '../../learning/quality-stat.js';
import {
  MIN_TEMPERATURE_EVIDENCE,
  TEMPERATURE_GOOD,
  TEMPERATURE_POOR,
} from '../../learning/quality-temperature.js';
import { type RoleModelQuality, roleModelQuality } from '../../learning/role-model-quality.js';
import type { RouterLike } from '../../serving/router-like.js';
import { type FeedbackEvent, type Owned, RouteFeed, type RouteRow } from './route-feed.js';
import { SseClient, type Viewer } from './sse-client.js';

/** Limits and pace of the dashboard's event stream (all optional; defaults below). */
export interface DashboardOptions {
  /** Dashboards connected at once; one more is a 429 (default 16). */
  maxClients?: number;
  /** Bytes a client may fall behind before it is dropped (default 1 MiB). */
  clientBufferBytes?: number;
  /** How often state is looked at; also the most cluster/route events per second (default 250 ms). */
  tickMs?: number;
  /** How often a learning snapshot is taken (default 2 s; sooner, at most every 500 ms, after feedback). */
  learningEveryMs?: number;
  /** Learning snapshots kept for clients that connect later (default 150: 5 minutes at 2 s). */
  historyLength?: number;
  /** Routes a new client gets at once (default 200). */
  backlog?: number;
  /** Most (role, model) lines in a learning snapshot, most evidence first (default 200). */
  maxQualityRows?: number;
  /** A comment line this often keeps idle connections open (default 15 s). */
  heartbeatMs?: number;
}

/** One node in the cluster view: `GET /v1/status`'s line (the same numbers as `status`) and its kind. */
export type DashboardNode = NodeStatus & { kind: string | null };

/** Speed of one node × model: the router's current estimates and the routes that finished lately. */
export interface PerfPoint {
  node: string;
  model: string;
  /** Smoothed time to first token (ms) and decode speed the router predicts with; null before any. */
  ttftMs: number | null;
  decodeTokensPerSec: number | null;
  /** Mean latency of the routes that finished on it since the previous snapshot; null when none did. */
  latencyMs: number | null;
  finished: number;
}

/** What learning looked like at one moment (a point of the dashboard's charts over time). */
export interface LearningSnapshot {
  at: number;
  quality: RoleModelQuality[];
  /** Routes made since the previous snapshot and how many of them explored. */
  exploration: { routed: number; explored: number; share: number | null };
  /** Judged feedback since the previous snapshot. */
  feedback: { count: number; meanScore: number | null };
  perf: PerfPoint[];
}

const DEFAULTS: Required<DashboardOptions> = {
  maxClients: 16,
  clientBufferBytes: 1024 * 1024,
  tickMs: 250,
  learningEveryMs: 2000,
  historyLength: 150,
  backlog: 200,
  maxQualityRows: 200,
  heartbeatMs: 15_000,
};

/** Judgements a new client gets at once. */
const RECENT_FEEDBACK = 50;

/** After feedback, the next learning snapshot comes this soon (not waiting for the period). */
const AFTER_FEEDBACK_MS = 500;

/**
 * The dashboard's live feed (GET /v1/dashboard/events). It looks at state the gateway already
 * keeps, on a timer that runs only while a dashboard is connected, and pushes what changed:
 *
 * - `cluster`: every node as `GET /v1/status` reports it, when anything changed (≤ 1 per tick);
 * - `routes`: new routes and routes that finished or were rated (≤ 1 batch per tick);
 * - `feedback`: judgements as they arrive;
 * - `learning`: per (role, model) learned quality with its confidence band, exploration share and
 *   per node × model speed, every `learningEveryMs`; a new client first gets the `history`.
 *
 * Nothing is added to the request path. A viewer with an ordinary API key sees only its own
 * routes and feedback, and learned quality only per model (every role pooled): other callers'
 * roles are theirs. Admin keys (and an open gateway) see everything.
 */
export class DashboardHub {
  private readonly options: Required<DashboardOptions>;
  private readonly clients = new Set<SseClient>();
  private readonly feed: RouteFeed;
  private readonly history: LearningSnapshot[] = [];
  /** The newest judgements, for clients that connect later. */
  private readonly recentFeedback: Owned<FeedbackEvent>[] = [];
  private readonly kinds: ReadonlyMap<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private lastCluster = '';
  private clusterNodes: DashboardNode[] = [];
  private lastLearningAt = 0;
  private lastPingAt = 0;
  private feedbackSeen = false;
  /** Since the previous learning snapshot. */
  private interval = newInterval();

  constructor(
    private readonly deps: { config: BrokeConfig; router: RouterLike; cluster: ClusterState },
    options: DashboardOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...stripUndefined(options) };
    this.feed = new RouteFeed(deps.router);
    this.kinds = new Map(deps.config.nodes.map((n) => [n.id, n.kind]));
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * A new dashboard: its stream starts with `hello`, the cluster, the newest routes it may see and
   * the learning history. Throws a 429 BrokeError when `maxClients` are connected.
   */
  connect(viewer: Viewer, abort?: () => void): Response {
    if (this.clients.size >= this.options.maxClients)
      throw new BrokeError(
        'dashboard_busy',
        `${this.options.maxClients} dashboards are connected, the most this gateway serves at once`,
        { status: 429, hint: 'close one, or raise the dashboard maxClients option' },
      );
    const client = new SseClient(viewer, this.options.clientBufferBytes, (c) => this.leave(c), abort);
    if (this.clients.size === 0) this.start();
    this.clients.add(client);
    const now = Date.now();
    const own = viewer.owner !== undefined;
    client.send('hello', {
      at: now,
      view: own ? 'own' : 'all',
      tickMs: this.options.tickMs,
      learningEveryMs: this.options.learningEveryMs,
      temperature: { good: TEMPERATURE_GOOD, poor: TEMPERATURE_POOR, minEvidence: MIN_TEMPERATURE_EVIDENCE },
    });
    client.send('cluster', { at: now, nodes: this.clusterNodes });
    client.send('routes', { initial: true, rows: this.feed.backlog(this.options.backlog, viewer.owner) });
    client.send('history', { learning: this.history.map((s) => visibleLearning(s, own)) });
    const feedback = visible(this.recentFeedback, viewer);
    if (feedback.length > 0) client.send('feedback', { events: feedback });
    return client.response;
  }

  /** Ends every connection and stops the timer (the gateway is closing). */
  close(): void {
    for (const client of [...this.clients]) client.close();
    this.stop();
  }

  private start(): void {
    this.feed.reset();
    this.interval = newInterval();
    this.lastPingAt = Date.now();
    this.refreshCluster(Date.now());
    if (this.history.length === 0) this.snapshotLearning(Date.now());
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private leave(client: SseClient): void {
    this.clients.delete(client);
    if (this.clients.size === 0) this.stop();
  }

  private tick(): void {
    try {
      const now = Date.now();
      if (this.refreshCluster(now)) this.broadcast('cluster', () => ({ at: now, nodes: this.clusterNodes }));
      this.routes(now);
      const due = now - this.lastLearningAt;
      if (due >= this.options.learningEveryMs || (this.feedbackSeen && due >= AFTER_FEEDBACK_MS)) {
        const snapshot = this.snapshotLearning(now);
        this.broadcast('learning', (c) => visibleLearning(snapshot, c.viewer.owner !== undefined));
      }
      if (now - this.lastPingAt >= this.options.heartbeatMs) {
        this.lastPingAt = now;
        for (const client of [...this.clients]) client.ping();
      }
    } catch (err) {
      // A bug here must not take the gateway down; the dashboard just misses a beat.
      console.error('[broke dashboard] tick failed:', err);
    }
  }

  /** Rebuilds the cluster view; true when it changed. */
  private refreshCluster(now: number): boolean {
    const nodes = statusReport(this.deps.cluster.nodes(), [], now).nodes.map((n) => ({
      ...n,
      kind: this.kinds.get(n.id) ?? null,
    }));
    const json = JSON.stringify(nodes);
    if (json === this.lastCluster) return false;
    this.lastCluster = json;
    this.clusterNodes = nodes;
    return true;
  }

  private routes(now: number): void {
    const changes = this.feed.poll(now);
    const interval = this.interval;
    interval.routed += changes.routed;
    interval.explored += changes.explored;
    for (const row of changes.finished) {
      if (row.status !== 'ok' || row.latencyMs === null) continue;
      const key = `${row.node}\u0001${row.model}`;
      const sum = interval.latency.get(key) ?? { ms: 0, n: 0 };
      sum.ms += row.latencyMs;
      sum.n += 1;
      interval.latency.set(key, sum);
    }
    for (const f of changes.feedback) {
      interval.feedback += 1;
      interval.feedbackSum += f.item.score;
      this.recentFeedback.push(f);
    }
    if (this.recentFeedback.length > RECENT_FEEDBACK)
      this.recentFeedback.splice(0, this.recentFeedback.length - RECENT_FEEDBACK);
    if (changes.feedback.length > 0) this.feedbackSeen = true;
    if (changes.rows.length > 0 || changes.skipped > 0)
      this.broadcast('routes', (c) => {
        const rows = visible(changes.rows, c.viewer);
        return rows.length > 0 || changes.skipped > 0
          ? { rows, ...(changes.skipped > 0 ? { skipped: changes.skipped } : {}) }
          : undefined;
      });
    if (changes.feedback.length > 0)
      this.broadcast('feedback', (c) => {
        const events: FeedbackEvent[] = visible(changes.feedback, c.viewer);
        return events.length > 0 ? { events } : undefined;
      });
  }

  private snapshotLearning(now: number): LearningSnapshot {
    const stats = this.deps.router.stats?.() ?? [];
    const quality = roleModelQuality(stats);
    if (quality.length > this.options.maxQualityRows) {
      // Keep everyone's lines and the best-evidenced role lines.
      quality.sort((a, b) => Number(a.role !== ANY) - Number(b.role !== ANY) || b.evidence - a.evidence);
      quality.length = this.options.maxQualityRows;
    }
    const interval = this.interval;
    const perf: PerfPoint[] = [];
    for (const node of this.deps.config.nodes)
      for (const model of node.models) {
        const estimate = this.deps.cluster.perf(node.id, model.id);
        const latency = interval.latency.get(`${node.id}\u0001${model.id}`);
        perf.push({
          node: node.id,
          model: model.id,
          ttftMs: estimate ? Math.round(estimate.ttftMs) : null,
          decodeTokensPerSec:
            estimate && estimate.decodeMeasured !== false ? round1(estimate.decodeTokensPerSec) : null,
          latencyMs: latency ? Math.round(latency.ms / latency.n) : null,
          finished: latency?.n ?? 0,
        });
      }
    const snapshot: LearningSnapshot = {
      at: now,
      quality,
      exploration: {
        routed: interval.routed,
        explored: interval.explored,
        share: interval.routed > 0 ? round3(interval.explored / interval.routed) : null,
      },
      feedback: {
        count: interval.feedback,
        meanScore: interval.feedback > 0 ? round3(interval.feedbackSum / interval.feedback) : null,
      },
      perf,
    };
    this.history.push(snapshot);
    if (this.history.length > this.options.historyLength) this.history.shift();
    this.interval = newInterval();
    this.lastLearningAt = now;
    this.feedbackSeen = false;
    return snapshot;
  }

  /** Sends each client its own view of an event (undefined: nothing for that client). */
  private broadcast(event: string, data: (client: SseClient) => unknown): void {
    for (const client of [...this.clients]) {
      const payload = data(client);
      if (payload !== undefined) client.send(event, payload);
    }
  }
}

function newInterval() {
  return {
    routed: 0,
    explored: 0,
    feedback: 0,
    feedbackSum: 0,
    latency: new Map<string, { ms: number; n: number }>(),
  };
}

/** What a viewer may see of owned items: an owner only its own; everyone else (admin, open) all. */
function visible<T>(items: readonly Owned<T>[], viewer: Viewer): T[] {
  const out: T[] = [];
  for (const o of items) if (viewer.owner === undefined || o.owner === viewer.owner) out.push(o.item);
  return out;
}

/** An ordinary key sees learned quality per model only (every role pooled). */
function visibleLearning(s: LearningSnapshot, own: boolean): LearningSnapshot {
  return own ? { ...s, quality: s.quality.filter((q) => q.role === ANY) } : s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export type { RouteRow };
