import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterView, NodeState } from '../cluster/node-state.js';
import type { MetricsConfig } from '../config/observability-schema.js';
import type { Feedback } from '../learning/outcome.js';
import { ANY, type QualityStat } from '../learning/quality-stat.js';
import { evidenceOfFeedback } from '../learning/reward.js';
import { type RoleModelQuality, roleModelQuality } from '../learning/role-model-quality.js';
import type { RouteExplanation } from '../routing/types.js';
import { errorClass, failovers, type RequestEnd, type RequestObserver } from '../serving/request-observer.js';
import type { RouterLike } from '../serving/router-like.js';
import { BucketHistogram, type HistogramSeries } from './bucket-histogram.js';
import { LabelFold, NO_LABEL } from './label-fold.js';

/** Seconds. TTFT of a small local model is tens of ms; a cold large one, tens of seconds. */
const TTFT_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** A routing decision takes microseconds (bench/results/routing.md). */
const ROUTE_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01];
const SCORE_BUCKETS = [0.2, 0.4, 0.6, 0.8, 1];

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Requests of one (role, team, model, node): counts by status class, tokens. */
interface RequestSeries {
  role: string;
  team: string;
  model: string;
  node: string;
  byStatus: number[];
  tokensIn: number;
  tokensOut: number;
}

/** Feedback of one (team, role, model). */
interface FeedbackSeries {
  labels: { team: string; role: string; model: string };
  count: number;
  sum: number;
  score: { observe(value: number): void };
}

/** Histogram children of one (model, node), made once: observing is then a bucket search. */
interface ServedSeries {
  ttft: { observe(value: number): void };
  duration: { observe(value: number): void };
}

export interface GatewayMetricsOptions {
  metrics: MetricsConfig;
  cluster: ClusterView;
  router: RouterLike;
  /** Node.js process metrics (CPU, memory, event loop lag, ...); startGateway turns them on. */
  processMetrics?: boolean;
  /** Replicas sharing Redis: whether this one lost it (broke_shared_state_degraded). */
  replicas?: { readonly degraded: boolean };
  /** Predictive warm-up's tallies (cluster/warm-up.ts), when on: broke_warmups_total. */
  warmUp?: { readonly counts: Readonly<Record<'sent' | 'done' | 'failed' | 'skipped', number>> };
}

/**
 * The gateway's Prometheus metrics. The hot path only bumps numbers in plain objects (one Map
 * lookup per request) and observes three histograms; counters are published and every gauge
 * (node state, learned quality, feedback means) is computed when Prometheus scrapes.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly roles: LabelFold;
  private readonly teams: LabelFold;
  private readonly requests = new Map<string, RequestSeries>();
  private readonly errors = new Map<string, number>();
  private readonly failedOver = new Map<string, number>();
  private readonly feedback = new Map<string, FeedbackSeries>();
  private readonly served = new Map<string, ServedSeries>();
  private routes = 0;
  private explored = 0;
  private readonly ttft: BucketHistogram;
  private readonly duration: BucketHistogram;
  private readonly routeTime: HistogramSeries;
  private readonly feedbackScore: Histogram<'team' | 'role' | 'model'>;

  constructor(private readonly options: GatewayMetricsOptions) {
    const stats = [...(options.router.stats?.() ?? [])];
    // The learned statistics say which roles and teams matter most: they keep their names first.
    this.roles = new LabelFold(
      options.metrics.topRoles,
      namesByEvidence(stats, (s) => s.role),
    );
    this.teams = new LabelFold(
      options.metrics.topTeams,
      namesByEvidence(stats, (s) => s.team),
    );
    const registers = [this.registry];
    const self = this;

    new Counter({
      name: 'broke_requests_total',
      help: 'Chat requests by role, team, model, node and HTTP status class (role/team beyond the top N: other; none: not given)',
      labelNames: ['role', 'team', 'model', 'node', 'status_class'],
      registers,
      collect() {
        this.reset();
        for (const s of self.requests.values())
          s.byStatus.forEach((n, i) => {
            if (n > 0)
              this.inc(
                { role: s.role, team: s.team, model: s.model, node: s.node, status_class: STATUS_CLASSES[i] },
                n,
              );
          });
      },
    });
    new Counter({
      name: 'broke_tokens_total',
      help: 'Tokens of answered requests: direction="in" the prompt, "out" the completion',
      labelNames: ['direction', 'role', 'team', 'model', 'node'],
      registers,
      collect() {
        this.reset();
        for (const s of self.requests.values()) {
          const labels = { role: s.role, team: s.team, model: s.model, node: s.node };
          if (s.tokensIn > 0) this.inc({ ...labels, direction: 'in' }, s.tokensIn);
          if (s.tokensOut > 0) this.inc({ ...labels, direction: 'out' }, s.tokensOut);
        }
      },
    });
    new Counter({
      name: 'broke_request_errors_total',
      help: 'Requests that failed, by error class (node_unreachable, saturated, stream_interrupted, client_closed, ...)',
      labelNames: ['class'],
      registers,
      collect() {
        this.reset();
        for (const [cls, n] of self.errors) this.inc({ class: cls }, n);
      },
    });
    new Counter({
      name: 'broke_failovers_total',
      help: 'Times a node failed a request and the next candidate was tried, by the node that failed',
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const [node, n] of self.failedOver) this.inc({ node }, n);
      },
    });
    new Counter({
      name: 'broke_routes_total',
      help: 'Routing decisions, explored="true" when the router tried an uncertain candidate on purpose',
      labelNames: ['explored'],
      registers,
      collect() {
        this.reset();
        this.inc({ explored: 'true' }, self.explored);
        this.inc({ explored: 'false' }, self.routes - self.explored);
      },
    });
    if (options.warmUp) {
      const counts = options.warmUp.counts;
      new Counter({
        name: 'broke_warmups_total',
        help: 'Predictive warm-ups (not routes): status="sent", "done", "failed", or "skipped" (confident but refused)',
        labelNames: ['status'],
        registers,
        collect() {
          this.reset();
          for (const [status, n] of Object.entries(counts)) this.inc({ status }, n);
        },
      });
    }
    new Gauge({
      name: 'broke_routes_explored_ratio',
      help: 'Share of routing decisions that explored, since the gateway started',
      registers,
      collect() {
        this.set(self.routes === 0 ? 0 : self.explored / self.routes);
      },
    });
    // The three histograms every request feeds are counted by BucketHistogram (the registry
    // prints them like its own); feedback scores, off the request path, stay prom-client's.
    this.ttft = new BucketHistogram(
      'broke_ttft_seconds',
      'Time to the first token of answered requests (non-streaming: to the answer), queue wait excluded',
      ['model', 'node'],
      TTFT_BUCKETS,
      registers,
    );
    this.duration = new BucketHistogram(
      'broke_request_duration_seconds',
      'Whole time of answered requests, from arrival to the last byte',
      ['model', 'node'],
      DURATION_BUCKETS,
      registers,
    );
    this.routeTime = new BucketHistogram(
      'broke_route_decision_seconds',
      'Time the router took to choose a node and model',
      [],
      ROUTE_BUCKETS,
      registers,
    ).of({});
    this.feedbackScore = new Histogram({
      name: 'broke_feedback_score',
      help: 'Feedback scores (0..1) by the team, role and model of the rated route; _count is the number of ratings',
      labelNames: ['team', 'role', 'model'],
      buckets: SCORE_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'broke_feedback_score_mean',
      help: 'Mean feedback score since the gateway started, by team, role and model',
      labelNames: ['team', 'role', 'model'],
      registers,
      collect() {
        this.reset();
        for (const f of self.feedback.values()) this.set(f.labels, f.sum / f.count);
      },
    });
    const replicas = options.replicas;
    if (replicas)
      new Gauge({
        name: 'broke_shared_state_degraded',
        help: 'Replicas sharing Redis (store.kind: redis): 1 while this one lost Redis and uses local slots, cooldowns and sessions',
        registers,
        collect() {
          this.set(replicas.degraded ? 1 : 0);
        },
      });
    this.nodeGauges(registers);
    this.learnedGauges(registers);
    this.spendGauges(registers);
  }

  /** Escalation spend and budget per team today (only with escalation nodes). */
  private spendGauges(registers: Registry[]): void {
    const router = this.options.router;
    if (!router.escalationSpend?.()) return;
    const teams = this.teams;
    const gauge = (name: string, help: string, field: 'spent' | 'budget' | 'reserved') =>
      new Gauge({
        name,
        help,
        labelNames: ['team'],
        registers,
        collect() {
          this.reset();
          for (const t of router.escalationSpend?.()?.teams ?? [])
            this.inc({ team: teams.fold(t.team) }, t[field]);
        },
      });
    gauge(
      'broke_escalation_spend',
      "Escalation spend today (UTC), in the config's currency, by team",
      'spent',
    );
    gauge('broke_escalation_budget', 'Escalation budget per day, by team', 'budget');
    gauge('broke_escalation_reserved', 'Estimated cost of escalated requests in flight, by team', 'reserved');
  }

  /** The request observer (see request-observer.ts): what happened, counted. */
  readonly observe: RequestObserver = (end: RequestEnd): void => {
    const served = end.candidate ?? end.decision;
    const model = served?.modelId ?? NO_LABEL;
    const node = served?.nodeId ?? NO_LABEL;
    const role = this.roles.fold(end.ctx?.role?.toLowerCase());
    const team = this.teams.fold(end.ctx?.team);
    const key = `${role}\u0001${team}\u0001${model}\u0001${node}`;
    let series = this.requests.get(key);
    if (!series) {
      series = { role, team, model, node, byStatus: [0, 0, 0, 0, 0], tokensIn: 0, tokensOut: 0 };
      this.requests.set(key, series);
    }
    const cls = Math.min(4, Math.max(0, Math.floor(end.status / 100) - 1));
    series.byStatus[cls] = (series.byStatus[cls] as number) + 1;
    if (end.tokens !== undefined) series.tokensOut += end.tokens;
    if (end.promptTokens !== undefined) series.tokensIn += end.promptTokens;
    if (end.outcome === 'error') bump(this.errors, errorClass(end.error));
    else if (end.outcome === 'client_closed') bump(this.errors, 'client_closed');
    const decision = end.decision;
    if (decision) {
      this.routes += 1;
      if (decision.explanation?.explored) this.explored += 1;
      for (const from of failovers(decision)) bump(this.failedOver, from);
      if (end.routeMs !== undefined) this.routeTime.observe(end.routeMs / 1000);
    }
    if (end.outcome === 'ok' && served) {
      const s = this.servedSeries(model, node);
      if (end.ttftMs !== undefined) s.ttft.observe(end.ttftMs / 1000);
      s.duration.observe(end.ms / 1000);
    }
  };

  /**
   * Feedback applied to these routes: counted by each route's team, role and the model that
   * served it. Off the request path (the feedback endpoint calls it after answering).
   */
  noteFeedback(routeIds: readonly string[], feedback: Feedback): void {
    const score = evidenceOfFeedback(feedback)?.reward;
    if (score === undefined) return;
    for (const id of routeIds) {
      const explained = this.options.router.explain(id);
      if (explained instanceof Promise) explained.then((e) => this.countFeedback(e, score)).catch(() => {});
      else this.countFeedback(explained, score);
    }
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    return this.options.processMetrics ? own + (await processRegistry().metrics()) : own;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private countFeedback(e: RouteExplanation | undefined, score: number): void {
    if (!e) return;
    const servedBy = [...e.attempts].reverse().find((a) => a.ok) ?? e.chosen;
    const labels = {
      team: this.teams.fold(e.context.team),
      role: this.roles.fold(e.context.role?.toLowerCase()),
      model: servedBy.modelId,
    };
    const key = `${labels.team}\u0001${labels.role}\u0001${labels.model}`;
    let series = this.feedback.get(key);
    if (!series) {
      series = { labels, count: 0, sum: 0, score: this.feedbackScore.labels(labels) };
      this.feedback.set(key, series);
    }
    series.count += 1;
    series.sum += score;
    series.score.observe(score);
  }

  private servedSeries(model: string, node: string): ServedSeries {
    const key = `${model}\u0001${node}`;
    let s = this.served.get(key);
    if (!s) {
      s = { ttft: this.ttft.of({ model, node }), duration: this.duration.of({ model, node }) };
      this.served.set(key, s);
    }
    return s;
  }

  /** Per-node gauges, read from the cluster state at scrape time. */
  private nodeGauges(registers: Registry[]): void {
    const cluster = this.options.cluster;
    const gauge = (name: string, help: string, value: (n: NodeState) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['node'],
        registers,
        collect() {
          this.reset();
          for (const n of cluster.nodes()) this.set({ node: n.id }, value(n));
        },
      });
    gauge('broke_node_up', 'Whether the monitor sees the node up (1) or down (0)', (n) => (n.up ? 1 : 0));
    gauge('broke_node_in_flight', 'Requests the gateway has in progress on the node', (n) => n.inFlight);
    gauge(
      'broke_node_queue',
      'Requests waiting in the gateway for a free slot on the node',
      (n) => n.waiting,
    );
    gauge(
      'broke_node_server_queue',
      "Requests waiting in the node server's own queue, where the server reports it",
      (n) => n.queued,
    );
    gauge('broke_node_capacity', 'Requests the node serves at once (maxConcurrency)', (n) => n.capacity);
    gauge(
      'broke_node_cooldown_seconds',
      "Seconds left of the node's cooldown after a failure (0: none)",
      (n) => Math.max(0, (n.cooldownUntil - Date.now()) / 1000),
    );
  }

  /**
   * Learned quality per (role, model) at scrape time, from the same function as `status` and the
   * dashboard (learning/role-model-quality.ts), so all three show the same numbers.
   */
  private learnedGauges(registers: Registry[]): void {
    const rows = () => this.learnedRows();
    const gauge = (name: string, help: string, value: (q: RoleModelQuality) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['role', 'model'],
        registers,
        collect() {
          this.reset();
          for (const q of rows()) this.set({ role: q.role, model: q.modelId }, value(q));
        },
      });
    gauge(
      'broke_learned_quality',
      'What feedback and outcomes taught about a model for a role (0..1, mean of Beta(1 + good, 1 + bad), no size prior), over task types and bands; role="*": across everyone',
      (q) => q.mean,
    );
    gauge('broke_learned_quality_low', 'Lower end of its 95% band', (q) => q.low);
    gauge('broke_learned_quality_high', 'Upper end of its 95% band', (q) => q.high);
    gauge(
      'broke_learned_evidence',
      'Evidence behind broke_learned_quality (a judged score weighs 1, an implicit failure 0.2, a success nothing; old evidence fades)',
      (q) => q.evidence,
    );
  }

  /** Roles beyond the top N are summed as `other` (before the means are taken). */
  private learnedRows(): RoleModelQuality[] {
    const stats = [...(this.options.router.stats?.() ?? [])].map((s) =>
      s.role === ANY ? s : { ...s, role: this.roles.fold(s.role) },
    );
    return roleModelQuality(stats).filter((q) => q.evidence > 0);
  }
}

let processMetrics: Registry | undefined;

/** Node.js process metrics, one set per process however many gateways it runs. */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Distinct names (not `*`) in the statistics, the ones with the most observations first. */
function namesByEvidence(stats: readonly QualityStat[], name: (s: QualityStat) => string): string[] {
  const totals = new Map<string, number>();
  for (const s of stats) {
    const n = name(s);
    if (n !== ANY) totals.set(n, (totals.get(n) ?? 0) + s.n);
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([n]) => n);
}
