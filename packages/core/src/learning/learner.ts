import type { ComplexityBand } from '../analysis/complexity.js';
import type { TaskType } from '../context/agent-context.js';
import { LearnedQuality } from './learned-quality.js';
import type { Outcome, OutcomeRecord } from './outcome.js';
import { OutputLengths } from './output-length.js';
import type { QualityStat } from './quality-stat.js';
import type { Evidence } from './reward.js';

/** Prompts shorter than this say little about prefill speed (overheads dominate their TTFT). */
const MIN_PREFILL_SAMPLE_TOKENS = 64;

/** Evidence one route folded into the statistics, kept so a later judgement can take it back. */
export interface FoldedEvidence {
  modelId: string;
  reward: number;
  weight: number;
}

/** What the learner needs to know about a route, and the evidence it keeps on it. */
export interface LearnedRoute {
  summary: { id: string; taskType: TaskType; owner?: string | undefined };
  team: string;
  role: string;
  band: ComplexityBand;
  /** Implicit evidence (success/failure) this route folded in, until judged feedback replaces it. */
  implicit?: FoldedEvidence | undefined;
  /**
   * The route's judgement (score/thumbs), once one arrived: implicit outcomes no longer count, and a
   * later judgement replaces it, so one route weighs one judgement however often it is rated.
   */
  judged?: FoldedEvidence | undefined;
}

/** Where learning becomes durable and what other gateways learned arrives (a StatsStore). */
export interface LearningStore {
  appendOutcome(record: OutcomeRecord): Promise<void>;
  upsertStats(stats: readonly QualityStat[]): Promise<void>;
  subscribe?(onStat: (stat: QualityStat) => void): () => void;
}

/** One request's speed, in the form ClusterState.observePerf takes. */
export interface SpeedSample {
  ttftMs?: number;
  decode?: { tokens: number; ms: number };
  prefill?: { tokens: number; ms: number };
}

export interface LearnerOptions {
  /** Learned statistics to start from. */
  stats?: readonly QualityStat[];
  store?: LearningStore | undefined;
  now: () => number;
}

/**
 * What the router learns after a response: quality statistics from outcomes and feedback, reply
 * lengths, and the store records that make both durable. The router decides; this learns.
 */
export class Learner {
  readonly quality: LearnedQuality;
  readonly outputLengths = new OutputLengths();
  private readonly store: LearningStore | undefined;
  private readonly now: () => number;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(opts: LearnerOptions) {
    this.quality = new LearnedQuality(opts.stats ?? []);
    this.store = opts.store;
    this.now = opts.now;
    // A shared store (Redis) pushes what other gateways learned; take it as the new value.
    this.unsubscribe = opts.store?.subscribe?.((stat) => {
      this.quality.replace(stat);
    });
  }

  /** A served request's reply length (the expected output of similar requests). */
  observeReply(route: LearnedRoute, outcome: Outcome): void {
    if (outcome.success && outcome.tokens !== undefined)
      this.outputLengths.observe(route.role, route.summary.taskType, route.band, outcome.tokens);
  }

  /**
   * Fold evidence into the statistics. Judged evidence (weight 1) is the quality signal; implicit
   * success/failure is weak (IMPLICIT_WEIGHT) and only stands in until someone judges the route:
   * judged feedback takes the route's implicit contribution back out, and implicit outcomes that
   * arrive after a judgement add nothing (they still update speed estimates and the log). A new
   * judgement of a judged route replaces the old one: 200 ratings of one route are one rating.
   * Resolves when the store has made it durable.
   */
  learn(
    route: LearnedRoute,
    served: { nodeId: string; modelId: string },
    evidence: Evidence,
    kind: OutcomeRecord['kind'],
    outcome: Outcome,
  ): Promise<void> {
    const at = this.now();
    const taskType = route.summary.taskType;
    const { team, role, band } = route;
    const changed: QualityStat[] = [];
    // Superseded: an implicit outcome by a judgement or a newer outcome, a judgement by a newer one.
    const previous = evidence.explicit
      ? (route.judged ?? route.implicit)
      : route.judged
        ? undefined
        : route.implicit;
    if (previous) route.implicit = undefined;
    if (previous && previous.weight > 0) {
      const key = { team, role, taskType, band, modelId: previous.modelId };
      const stats = this.quality.retract(key, previous.reward, at, previous.weight);
      if (previous.modelId !== served.modelId) changed.push(...stats);
    }
    const reward = evidence.reward;
    if (evidence.explicit || !route.judged) {
      const key = { team, role, taskType, band, modelId: served.modelId };
      // Weightless evidence (an implicit success) changes no statistic.
      if (evidence.weight > 0) changed.push(...this.quality.update(key, reward, at, evidence.weight));
      const kept = { modelId: served.modelId, reward, weight: evidence.weight };
      if (evidence.explicit) route.judged = kept;
      else route.implicit = kept;
    }
    if (!this.store) return Promise.resolve();
    const entry: OutcomeRecord = {
      routeId: route.summary.id,
      kind,
      at,
      team,
      role,
      taskType,
      band,
      nodeId: served.nodeId,
      modelId: served.modelId,
      success: outcome.success,
      reward,
    };
    // Field by field: conditional spreads allocate a temporary object each, once per request.
    if (outcome.latencyMs !== undefined) entry.latencyMs = outcome.latencyMs;
    if (outcome.ttftMs !== undefined) entry.ttftMs = outcome.ttftMs;
    if (outcome.tokens !== undefined) entry.tokens = outcome.tokens;
    if (outcome.error !== undefined) entry.error = outcome.error;
    if (route.summary.owner !== undefined) entry.owner = route.summary.owner;
    const appended = this.store.appendOutcome(entry);
    // Most outcomes change no statistic (an unjudged success): one write, no Promise.all.
    if (changed.length === 0) return appended;
    return Promise.all([appended, this.store.upsertStats(changed)]).then(() => undefined);
  }

  /** Learned statistics currently in memory (copies). */
  stats(): QualityStat[] {
    return [...this.quality.all()].map((stat) => ({ ...stat }));
  }

  /** Stop taking what other gateways learned. */
  close(): void {
    this.unsubscribe?.();
  }
}

/**
 * An outcome's speeds as tokens and milliseconds (ClusterState keeps ratios of sums, so a short
 * reply that arrived in one network read cannot read as thousands of tokens/s); undefined when it
 * measured none. Decode tokens count as if served alone (`slowdown`: how much the load the node
 * had slowed it): the run-time factor slows them down by the load it predicts. Prefill comes from
 * the router's own prompt-size estimate (what it predicts with), only from prompts long enough
 * for prefill to dominate the fixed overheads.
 */
export function speedSample(
  outcome: Outcome,
  promptTokens: number,
  slowdown: number,
): SpeedSample | undefined {
  if (outcome.ttftMs === undefined && outcome.tokens === undefined) return undefined;
  const decodeMs = (outcome.latencyMs ?? 0) - (outcome.ttftMs ?? 0);
  // Field by field rather than conditional spreads: one object per request, no temporaries.
  const sample: SpeedSample = {};
  if (outcome.ttftMs !== undefined) sample.ttftMs = outcome.ttftMs;
  if (outcome.tokens && decodeMs > 0) sample.decode = { tokens: outcome.tokens * slowdown, ms: decodeMs };
  if (outcome.ttftMs && outcome.ttftMs > 0 && promptTokens >= MIN_PREFILL_SAMPLE_TOKENS)
    sample.prefill = { tokens: promptTokens, ms: outcome.ttftMs };
  return sample;
}
