import { analyzePrompt, type PromptAnalysis } from '../analysis/analyze.js';
import { complexityBand } from '../analysis/complexity.js';
import { BoundedFifo } from '../bounded-fifo.js';
import type { ClusterState } from '../cluster/cluster-state.js';
import type { ClusterView, NodeState } from '../cluster/node-state.js';
import type { BrokeConfig, ModelConfig, NodeConfig, Objective } from '../config/schema.js';
import type { AgentContext } from '../context/agent-context.js';
import {
  DuplicateFeedbackError,
  ModelNotFoundError,
  NoRoutesSelectedError,
  RouteNotFoundError,
  ValidationError,
} from '../errors.js';
import { CardinalityCap } from '../learning/cardinality-cap.js';
import { EscalationSpend, escalationCost, type SpendReport } from '../learning/escalation-spend.js';
import { HandOffs } from '../learning/hand-offs.js';
import { type LearnedRoute, Learner, speedSample } from '../learning/learner.js';
import type { Feedback, Outcome } from '../learning/outcome.js';
import { Prng, randomSeed } from '../learning/prng.js';
import { normaliseRole, normaliseTeam, type QualityStat } from '../learning/quality-stat.js';
import { evidenceOfFeedback, evidenceOfOutcome } from '../learning/reward.js';
import { SessionAffinity } from '../learning/session-affinity.js';
import type { StatsStore } from '../stores/stats-store.js';
import { CandidateTable } from './candidate-table.js';
import { buildExplanation, type ExplanationParts, type KeptExplanation } from './explanation.js';
import { defaultFactors, othersAtStart } from './factors/index.js';
import { estimatedCost } from './filters/escalation.js';
import { defaultFilters } from './filters/index.js';
import { LiveTable } from './live-table.js';
import { ParallelRuns } from './parallel-runs.js';
import { PerfCache } from './perf-cache.js';
import { RoutingPipeline, TOP_TERMS, TOP_TIME_MS } from './pipeline.js';
import type { Factor, Filter, RoutingContext } from './plugin.js';
import { profileNames, resolveObjective } from './profiles.js';
import { recoveredRoute, skeletonExplanation } from './recovered-route.js';
import { RoleRuleIndex } from './role-rules.js';
import { RouteIdGenerator } from './route-id.js';
import { RouteLog, type RouteQuery, type RouteSelection, type RouteSummary } from './route-log.js';
import type { Candidate, RouteAttempt, RouteDecision, RouteExplanation, RouteRequest } from './types.js';
import { AUTO_MODEL, selectModel, VIRTUAL_PREFIX } from './virtual-models.js';

/** Smoothing of the typical request time (the objective's unit of time). */
const TYPICAL_RATE = 0.05;
/** Newest turns of a session a session outcome is credited to (the selection API's maximum). */
const SESSION_TURNS = 100;
/** Node states re-looked up per route (see refreshNodeStates). */
const NODE_LOOKUPS_PER_ROUTE = 16;

export interface RouterOptions {
  config: BrokeConfig;
  cluster: ClusterView & Partial<Pick<ClusterState, 'observePerf'>>;
  store?: StatsStore;
  /** Extra filters, run after the built-in ones. */
  filters?: Filter[];
  /** Extra factors (quality or time terms), run after the built-in ones. */
  factors?: Factor[];
  seed?: number;
  now?: () => number;
  onDecision?: (e: RouteExplanation) => void;
  /** Learned statistics to start from (Router.create loads them from the store). */
  stats?: readonly QualityStat[];
  /** Routes remembered compactly for feedback, listing and outcomes (default 10 000). */
  explanationCapacity?: number;
  /**
   * Of those, how many newest keep their full explanation (ranked candidates, every factor's
   * term; default 1 000). Older ones explain as a skeleton: who served, why not kept.
   */
  detailCapacity?: number;
  /** Sessions remembered for affinity (default 100 000). */
  sessionCapacity?: number;
  /** The session memory to use (gateway replicas share it through Redis); default a new one. */
  affinity?: SessionAffinity;
  /** Distinct teams / roles learned under their own names (defaults MAX_TEAMS, MAX_ROLES). */
  maxTeams?: number;
  maxRoles?: number;
}

/** Distinct teams and roles the statistics keep apart; more pool as '*'. */
export const MAX_TEAMS = 256;
export const MAX_ROLES = 1024;

/** What the router remembers about a route until it falls out of the LRU (with what it taught). */
interface RouteRecord extends LearnedRoute {
  /** Id, task type, node and model served, status, feedback: also the route's listing line. */
  summary: RouteSummary;
  sessionId: string | undefined;
  /** Requests the chosen node served beside this one when it was routed (normalises its speed). */
  others: number;
  promptTokens: number;
  /** Who serves it: the chosen candidate, then the last attempt (the last successful one once any). */
  served: { nodeId: string; modelId: string };
  servedOk: boolean;
  /** Estimated cost held against the team's escalation budget until the outcome (0: none). */
  reserved: number;
  /** When it should finish (router clock) and the node chosen: what its run's parallel requests wait for. */
  finishAt: number;
  routedNode: number;
  /** Rebuilt from the store's log: this router never held its decision. */
  recovered?: true;
}

/** Feedback on one route, or on a selection of a session's latest routes (no ids needed). */
export type FeedbackTarget = { routeId: string } | RouteSelection;

/** The core router: synchronous decisions from in-memory state, learning from outcomes. */
export class Router {
  private readonly config: BrokeConfig;
  private readonly cluster: RouterOptions['cluster'];
  private readonly store: StatsStore | undefined;
  private readonly learner: Learner;
  private readonly table: CandidateTable;
  private readonly pipeline: RoutingPipeline;
  private readonly perf: PerfCache;
  private readonly live: LiveTable;
  private missingNodes = true;
  private nodeCursor = 0;
  private readonly nodeStates: Array<NodeState | undefined>;
  private readonly rules: RoleRuleIndex;
  private readonly profiles: ReadonlySet<string>;
  private readonly knownModels: ReadonlySet<string>;
  private readonly objectiveCache = new Map<string, Objective>();
  private typicalMs = 0;
  private readonly routes: BoundedFifo<string, RouteRecord>;
  private readonly details: BoundedFifo<string, KeptExplanation>;
  private readonly log: RouteLog;
  /** Feedback ids already applied, with the routes they went to (a retry is not counted twice). */
  private readonly feedbackIds: BoundedFifo<string, readonly string[]>;
  private readonly affinity: SessionAffinity;
  /** Which role → model hand-offs led to good session outcomes (learning/hand-offs.ts). */
  private readonly handOffs = new HandOffs();
  /** Each session's requests in flight and when they should finish (only for the team-slack factor). */
  private readonly parallel = new ParallelRuns();
  /** Position of the team-slack factor among the pipeline's factors (−1: disabled). */
  private readonly slackFactor: number;
  private readonly explanationParts: ExplanationParts;
  private readonly teams: CardinalityCap;
  private readonly roles: CardinalityCap;
  private readonly rng: Prng;
  private readonly ids = new RouteIdGenerator();
  private readonly now: () => number;
  private readonly onDecision: ((e: RouteExplanation) => void) | undefined;
  private readonly explorationRate: number;
  /** Spend on escalation nodes per team today; only when some node is one. */
  private readonly spend: EscalationSpend | undefined;

  constructor(opts: RouterOptions) {
    this.config = opts.config;
    this.cluster = opts.cluster;
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.onDecision = opts.onDecision;
    const routing = opts.config.routing;
    this.rng = new Prng(opts.seed ?? routing.seed ?? randomSeed());
    this.table = new CandidateTable(opts.config);
    this.perf = new PerfCache(this.table, opts.cluster);
    this.live = new LiveTable(this.table);
    this.nodeStates = new Array(this.table.nodes.length).fill(undefined);
    this.rules = new RoleRuleIndex(routing.roleRules);
    this.profiles = new Set(profileNames(routing));
    this.knownModels = new Set(this.table.servedModels().map((model) => model.id));
    this.routes = new BoundedFifo(opts.explanationCapacity ?? 10_000);
    this.details = new BoundedFifo(
      Math.min(opts.detailCapacity ?? 1_000, opts.explanationCapacity ?? 10_000),
    );
    this.log = new RouteLog(opts.explanationCapacity ?? 10_000);
    this.feedbackIds = new BoundedFifo(opts.explanationCapacity ?? 10_000);
    this.affinity = opts.affinity ?? new SessionAffinity(opts.sessionCapacity);
    this.learner = new Learner({ stats: opts.stats ?? [], store: opts.store, now: this.now });
    this.teams = new CardinalityCap(
      opts.maxTeams ?? MAX_TEAMS,
      (opts.stats ?? []).map((s) => s.team),
    );
    this.roles = new CardinalityCap(
      opts.maxRoles ?? MAX_ROLES,
      (opts.stats ?? []).map((s) => s.role),
    );
    this.explorationRate = routing.explorationRate;
    this.spend = opts.config.nodes.some((node) => node.escalation !== undefined)
      ? new EscalationSpend(opts.config.escalation ?? { budgetPerDay: { default: 0, teams: {} } }, opts.store)
      : undefined;
    for (const profile of [routing.defaultProfile, ...routing.roleRules.map((rule) => rule.profile)]) {
      if (profile !== undefined && !this.profiles.has(profile))
        throw new ValidationError(`Unknown routing profile "${profile}"`, {
          hint: `use one of ${[...this.profiles].join(', ')} or define it under routing.profiles`,
          field: 'routing',
        });
    }
    const disabled = new Set(routing.disabled);
    if (!routing.teamSlack) disabled.add('team-slack');
    const filters = [...defaultFilters(), ...(opts.filters ?? [])].filter((f) => !disabled.has(f.name));
    const factors = [...defaultFactors(), ...(opts.factors ?? [])].filter((f) => !disabled.has(f.name));
    this.pipeline = new RoutingPipeline(filters, factors);
    this.slackFactor = factors.findIndex((f) => f.name === 'team-slack');
    this.explanationParts = {
      factors: this.pipeline.factors,
      plain: this.table.plain,
      temperature: routing.temperature,
      noteContext: (facts) => ({
        ...facts,
        request: NO_REQUEST,
        config: this.config,
        cluster: this.cluster,
        nodeStates: this.nodeStates,
        perf: this.perf.entries,
        perfTable: this.perf.flat,
        learned: this.learner.quality,
        rng: this.rng,
        table: this.table,
        live: this.live,
        escalation: this.spend,
      }),
    };
  }

  /** Router with the learned statistics loaded from the store. */
  static async create(opts: RouterOptions): Promise<Router> {
    const stats = opts.store ? await opts.store.loadStats() : undefined;
    const router = new Router(stats ? { ...opts, stats } : opts);
    await router.spend?.load(router.now());
    return router;
  }

  /** Choose a node × model for a request. Synchronous and allocation-light; throws BrokeErrors. */
  route(req: RouteRequest, ctx?: AgentContext): RouteDecision {
    const agent = ctx ?? this.config.defaultContext ?? {};
    const selection = selectModel(req.model, this.knownModels, this.profiles);
    if (selection.kind === 'unknown') throw new ModelNotFoundError(selection.model);
    const analysis: PromptAnalysis = analyzePrompt(req.messages, agent.taskType, agent.taskText);
    const rules = this.rules.match(agent.team, agent.role, analysis.taskType);
    let profile = this.config.routing.defaultProfile;
    for (const rule of rules) if (rule.profile !== undefined) profile = rule.profile;
    if (selection.kind === 'profile') profile = selection.profile;

    const now = this.now();
    this.refreshNodeStates();
    this.live.refresh(this.nodeStates);
    this.perf.refreshSome();
    // Learned under their own names up to a cap; names beyond it pool as '*' (see CardinalityCap).
    const team = this.teams.admit(normaliseTeam(agent.team));
    const role = this.roles.admit(normaliseRole(agent.role));
    const band = complexityBand(analysis.complexity);
    const routingContext: RoutingContext = {
      request: req,
      agent,
      analysis,
      band,
      profile,
      objective: this.objectiveFor(profile, agent.team, agent.role),
      typicalMs: this.typicalMs,
      pinnedModel: selection.kind === 'pinned' ? selection.modelId : undefined,
      rules,
      now,
      config: this.config,
      cluster: this.cluster,
      nodeStates: this.nodeStates,
      perf: this.perf.entries,
      perfTable: this.perf.flat,
      expectedOutputTokens: this.learner.outputLengths.expected(role, analysis.taskType, band, req.maxTokens),
      team,
      role,
      learned: this.learner.quality,
      explore: this.explorationRate > 0 && this.rng.next() < this.explorationRate,
      rng: this.rng,
      affinity: this.affinity.lookup(agent.sessionId),
      handOff: this.handOffFrom(agent.sessionId),
      stickTo: this.sessionPin(agent.sessionId, selection.kind),
      // Runs are tracked only for the team-slack factor (routing.teamSlack, off by default).
      run: this.slackFactor < 0 ? undefined : this.parallel.of(agent.sessionId, role, now),
      table: this.table,
      live: this.live,
      escalation: this.spend,
    };
    const result = this.pipeline.run(this.table, routingContext, this.config.routing.maxAttempts - 1);
    // What a request typically takes here: the running mean of each route's fastest prediction
    // (not while the team-slack factor raised the times to its run's wait: that time is the
    // run's, not the request's).
    if (routingContext.run === undefined)
      this.typicalMs =
        this.typicalMs === 0
          ? result.fastestMs
          : this.typicalMs + TYPICAL_RATE * (result.fastestMs - this.typicalMs);
    // The stored explanation keeps the route's facts, never its prompt: the task's own words (a
    // framework's taskText) are prompt text too.
    const kept = agent.taskText === undefined ? agent : withoutTaskText(agent);

    const routeId = this.ids.next();
    const chosenNode = result.chosen.nodeIndex;
    // The chosen one's own predicted time (without the slack its run would wait anyway).
    const slackAt = this.slackFactor;
    const finishAt =
      now +
      (result.topValues[TOP_TIME_MS] as number) -
      (slackAt < 0 ? 0 : (result.topValues[TOP_TERMS + slackAt] as number));
    // An escalated route holds its estimated cost against the budget until its outcome.
    const reserved = result.chosen.node.escalation ? estimatedCost(result.chosen, routingContext) : 0;
    if (reserved > 0) this.spend?.reserve(team, reserved);
    const explanation = buildExplanation({
      routeId,
      agent: kept,
      ctx: routingContext,
      result,
      parts: this.explanationParts,
    });
    // Every field present, in one order: one hidden class for all summaries, properties in-object
    // (a route's memory is mostly this line; JSON leaves the undefined ones out).
    const summary = this.log.add({
      id: routeId,
      seq: 0,
      at: now,
      role: agent.role,
      team: agent.team,
      sessionId: agent.sessionId,
      framework: agent.framework,
      depth: agent.conversationDepth,
      taskType: analysis.taskType,
      nodeId: result.chosen.nodeId,
      modelId: result.chosen.modelId,
      status: 'pending',
      latencyMs: undefined,
      tokens: undefined,
      error: undefined,
      owner: req.owner,
      feedback: NO_FEEDBACK,
      temperature: explanation.temperature,
    });
    this.routes.set(routeId, {
      summary,
      team: routingContext.team,
      role: routingContext.role,
      sessionId: agent.sessionId,
      band: routingContext.band,
      others: othersAtStart(routingContext, result.chosen.nodeIndex),
      promptTokens: analysis.promptTokens,
      served: this.table.plain[result.chosen.index] as Candidate,
      servedOk: false,
      reserved,
      finishAt,
      routedNode: chosenNode,
      implicit: undefined,
      judged: undefined,
      recovered: undefined,
    });
    this.details.set(routeId, explanation);
    if (this.slackFactor >= 0)
      this.parallel.add(
        agent.sessionId,
        role,
        finishAt,
        chosenNode,
        this.table.batchSlowdown[chosenNode] as number,
        now,
      );
    this.affinity.remember(agent.sessionId, result.chosen.nodeId, result.chosen.modelId);
    if (agent.role !== undefined) this.handOffs.noteTurn(agent.sessionId, role, result.chosen.modelId);
    this.onDecision?.(explanation);
    return {
      nodeId: result.chosen.nodeId,
      modelId: result.chosen.modelId,
      servedName: result.chosen.servedName,
      routeId,
      fallbacks: result.fallbacks.map((candidate) => this.table.plain[candidate.index] ?? candidate),
      explanation,
    };
  }

  /**
   * Learn from how a route went (learning/learner.ts). Statistics and speed estimates update at
   * once; the returned promise resolves when the store has made the outcome durable (the
   * "acknowledged" point).
   */
  recordOutcome(routeId: string, outcome: Outcome): Promise<void> {
    const record = this.routes.get(routeId);
    if (!record) return Promise.reject(new RouteNotFoundError(routeId));
    const served = record.served;
    if (this.slackFactor >= 0)
      this.parallel.remove(record.sessionId, record.routedNode, record.finishAt, this.now());
    noteOutcome(record.summary, served, outcome);
    this.learner.observeReply(record, outcome);
    if (this.cluster.observePerf) {
      const node = this.table.nodeIndexOf(served.nodeId);
      const slowdown =
        1 + (node === undefined ? 0 : (this.table.batchSlowdown[node] as number)) * record.others;
      const sample = speedSample(outcome, record.promptTokens, slowdown);
      if (sample) {
        this.cluster.observePerf(served.nodeId, served.modelId, sample);
        const index = this.table.indexOf(served.nodeId, served.modelId);
        if (index !== undefined) this.perf.refresh(index);
      }
    }
    if (outcome.success) this.affinity.remember(record.sessionId, served.nodeId, served.modelId);
    const learned = this.learner.learn(record, served, evidenceOfOutcome(outcome), 'outcome', outcome);
    const charged = this.spend ? this.charge(record, outcome) : undefined;
    return charged ? Promise.all([learned, charged]).then(() => undefined) : learned;
  }

  /**
   * An escalated route's cost, from the response's usage (else the estimate it reserved), charged
   * to its team's spend today; a failed request is not charged. Undefined when nothing to charge.
   */
  private charge(record: RouteRecord, outcome: Outcome): Promise<void> | undefined {
    const spend = this.spend as EscalationSpend;
    const reserved = record.reserved;
    if (reserved > 0) {
      spend.release(record.team, reserved);
      record.reserved = 0;
    }
    if (!outcome.success) return undefined;
    const node = this.table.nodeIndexOf(record.served.nodeId);
    const price = node === undefined ? undefined : this.table.nodes[node]?.escalation;
    if (!price) return undefined;
    const cost =
      outcome.tokens === undefined && outcome.promptTokens === undefined
        ? reserved
        : escalationCost(price, outcome.promptTokens ?? record.promptTokens, outcome.tokens ?? 0);
    return spend.charge(record.team, cost, this.now());
  }

  /** Each team's escalation spend and budget today (GET /v1/status); undefined without escalation nodes. */
  escalationSpend(): SpendReport | undefined {
    return this.spend?.report(this.now());
  }

  /** Quality feedback on a past route (score 0..1, thumbs, or success). */
  async feedback(routeId: string, fb: Feedback): Promise<void> {
    const record = this.routes.get(routeId) ?? (await this.recover(routeId));
    if (!record) throw new RouteNotFoundError(routeId);
    const evidence = evidenceOfFeedback(fb);
    if (evidence === undefined) return Promise.resolve();
    // A new object: unrated routes share NO_FEEDBACK.
    const rated = record.summary.feedback;
    record.summary.feedback = {
      count: rated.count + 1,
      meanScore: ((rated.meanScore ?? 0) * rated.count + evidence.reward) / (rated.count + 1),
    };
    return this.learner.learn(record, record.served, evidence, 'feedback', {
      success: evidence.reward >= 0.5,
    });
  }

  /**
   * Feedback on a route or on a selection of routes, applied once per `feedbackId`. Resolves to
   * the route ids it was applied to; an empty selection and a repeated id are errors (404, 409).
   */
  async rate(target: FeedbackTarget, fb: Feedback, feedbackId?: string, viewer?: string): Promise<string[]> {
    // Feedback ids are the caller's own: two clients' "fb-1" are two ids.
    const idKey = feedbackId === undefined ? undefined : `${viewer ?? ''}\u0001${feedbackId}`;
    if (idKey !== undefined) {
      const applied = this.feedbackIds.get(idKey);
      if (applied) throw new DuplicateFeedbackError(feedbackId as string, applied);
    }
    let ids: string[];
    if ('routeId' in target) {
      const record = this.routes.get(target.routeId) ?? (await this.recover(target.routeId));
      if (!record || (viewer !== undefined && record.summary.owner !== viewer))
        throw new RouteNotFoundError(target.routeId);
      ids = [target.routeId];
    } else {
      const selection = viewer === undefined ? target : { ...target, owner: viewer };
      ids = this.log.select(selection).map((r) => r.id);
      if (ids.length === 0) throw new NoRoutesSelectedError(target);
    }
    // Claimed before the writes, so a retry racing this one is refused rather than applied twice.
    if (idKey !== undefined) this.feedbackIds.set(idKey, ids);
    await Promise.all(ids.map((id) => this.feedback(id, fb)));
    return ids;
  }

  /**
   * A whole session's outcome (a crew run rated as one): rated on each of its routes like `rate`,
   * and credited to each role → model hand-off in it, so later turns learn which combinations
   * work (learning/hand-offs.ts). Resolves to the route ids rated.
   */
  async rateSession(session: string, fb: Feedback, feedbackId?: string, viewer?: string): Promise<string[]> {
    const selection: RouteSelection = { session, last: SESSION_TURNS };
    const ids = await this.rate(selection, fb, feedbackId, viewer);
    const evidence = evidenceOfFeedback(fb);
    if (evidence === undefined) return ids;
    const rated = new Set(ids);
    const turns = this.log
      .select(viewer === undefined ? selection : { ...selection, owner: viewer })
      .filter((r) => rated.has(r.id) && r.role !== undefined)
      .reverse();
    const first = turns[0];
    if (!first) return ids;
    const team = this.teams.admit(normaliseTeam(first.team));
    this.handOffs.credit(
      team,
      turns.map((r) => ({ role: this.roles.admit(normaliseRole(r.role)), modelId: r.modelId })),
      evidence.reward,
    );
    return ids;
  }

  /** `routing.sessions: pin`: the candidate that served the session before (unless the request pins a model). */
  private sessionPin(sessionId: string | undefined, selection: string): number | undefined {
    if (this.config.routing.sessions !== 'pin' || selection === 'pinned') return undefined;
    const target = this.affinity.lookup(sessionId);
    return target && this.table.indexOf(target.nodeId, target.modelId);
  }

  private handOffFrom(sessionId: string | undefined): RoutingContext['handOff'] {
    // Nothing learned yet (no session outcome posted): nothing to look up, nothing to allocate.
    if (!this.handOffs.learned) return undefined;
    const from = this.handOffs.previous(sessionId);
    return from === undefined ? undefined : { from, stats: this.handOffs };
  }

  /** Recent routes, newest first, with a cursor for the next page (`owner`: one caller's only). */
  listRoutes(query: RouteQuery): { data: RouteSummary[]; nextCursor?: number } {
    return this.log.list(query);
  }

  /** A route's explanation; `viewer` set (keys configured): only a route that caller made. */
  explain(routeId: string, viewer?: string): RouteExplanation | undefined {
    if (!this.visible(routeId, viewer)) return undefined;
    const detail = this.details.get(routeId);
    if (detail) return detail;
    const record = this.routes.get(routeId) as RouteRecord;
    return skeletonExplanation(
      record.summary,
      record.served,
      record.servedOk,
      record.recovered
        ? 'rebuilt from the outcome log (made before a restart or on another gateway)'
        : 'only the newest routes keep their full explanation (Router detailCapacity)',
    );
  }

  /**
   * The explanation of a route this router does not hold (made on another replica, or before a
   * restart), as a skeleton rebuilt from the store's outcome log; undefined when it has none.
   */
  async recoverExplanation(routeId: string, viewer?: string): Promise<RouteExplanation | undefined> {
    if (!this.routes.get(routeId) && !(await this.recover(routeId))) return undefined;
    return this.explain(routeId, viewer);
  }

  /**
   * A route this router no longer remembers (a restart, or an old one), rebuilt from the store's
   * outcome log so feedback on it still counts once; undefined when the store has nothing.
   */
  private async recover(routeId: string): Promise<RouteRecord | undefined> {
    if (!this.store?.routeLog) return undefined;
    const recovered = recoveredRoute(await this.store.routeLog(routeId));
    if (!recovered) return undefined;
    // Another call may have recovered it meanwhile: one record per route.
    const known = this.routes.get(routeId);
    if (known) return known;
    const record: RouteRecord = {
      ...recovered,
      sessionId: undefined,
      others: 0,
      reserved: 0,
      finishAt: 0,
      routedNode: -1,
    };
    this.routes.set(routeId, record);
    return record;
  }

  /** Another caller's route reads as unknown: its existence is not disclosed either. */
  private visible(routeId: string, viewer: string | undefined): boolean {
    const record = this.routes.get(routeId);
    return record !== undefined && (viewer === undefined || record.summary.owner === viewer);
  }

  /**
   * The table's own candidate for a node × model (a shared object, not one more per route: the
   * newest routes' records stay in memory); a new one for a pair the table does not hold.
   */
  private candidate(nodeId: string, modelId: string): { nodeId: string; modelId: string } {
    const index = this.table.indexOf(nodeId, modelId);
    return (index === undefined ? undefined : this.table.plain[index]) ?? { nodeId, modelId };
  }

  /** The gateway reports each failover attempt; unknown (expired) route ids are ignored. */
  noteAttempt(routeId: string, attempt: RouteAttempt): void {
    const record = this.routes.get(routeId);
    if (!record) return;
    const detail = this.details.get(routeId);
    if (detail) {
      detail.addAttempt({ ...attempt });
      // A failed attempt makes the answer's temperature warmer; the listing shows the same.
      if (!attempt.ok) record.summary.temperature = detail.temperature;
    }
    // The last successful attempt serves the route; before any, the last one tried.
    if (attempt.ok || !record.servedOk) {
      const served = record.served;
      // Usually the chosen candidate itself: no lookup.
      if (served.nodeId !== attempt.nodeId || served.modelId !== attempt.modelId)
        record.served = this.candidate(attempt.nodeId, attempt.modelId);
      record.servedOk = attempt.ok;
    }
    if (attempt.ok) {
      record.summary.nodeId = attempt.nodeId;
      record.summary.modelId = attempt.modelId;
      this.affinity.remember(record.sessionId, attempt.nodeId, attempt.modelId);
    }
  }

  listModels(): { virtual: string[]; concrete: ModelConfig[] } {
    return {
      virtual: [AUTO_MODEL, ...[...this.profiles].map((profile) => `${VIRTUAL_PREFIX}${profile}`)],
      concrete: this.table.servedModels(),
    };
  }

  /**
   * Node states are objects the cluster updates in place, so the router keeps references and
   * re-looks up only NODE_LOOKUPS_PER_ROUTE of them per route (round robin; all of them while any
   * is missing), which catches nodes added or replaced later without a Map lookup per node.
   */
  private refreshNodeStates(): void {
    const nodes = this.table.nodes;
    const states = this.nodeStates;
    if (this.missingNodes) {
      let missing = false;
      for (let i = 0; i < nodes.length; i++) {
        const state = this.cluster.node((nodes[i] as NodeConfig).id);
        states[i] = state;
        if (!state) missing = true;
      }
      this.missingNodes = missing;
      return;
    }
    for (let n = 0; n < NODE_LOOKUPS_PER_ROUTE && n < nodes.length; n++) {
      const i = this.nodeCursor;
      const state = this.cluster.node((nodes[i] as NodeConfig).id);
      states[i] = state;
      if (!state) this.missingNodes = true;
      this.nodeCursor = i + 1 === nodes.length ? 0 : i + 1;
    }
  }

  /** Learned statistics currently in memory. */
  stats(): QualityStat[] {
    return this.learner.stats();
  }

  async close(): Promise<void> {
    this.learner.close();
    try {
      await this.store?.flush();
    } finally {
      // Even when the last writes were not acknowledged (a store that lost its server).
      await this.store?.close();
    }
  }

  private objectiveFor(profile: string, team: string | undefined, role: string | undefined): Objective {
    const key = `${profile}\u0001${team ?? ''}\u0001${role ?? ''}`;
    let objective = this.objectiveCache.get(key);
    if (!objective) {
      objective = resolveObjective(this.config.routing, profile, team, role);
      if (this.objectiveCache.size > 10_000) this.objectiveCache.clear();
      this.objectiveCache.set(key, objective);
    }
    return objective;
  }
}

/** Feedback of every unrated route (rating one gives it an object of its own). */
const NO_FEEDBACK: RouteSummary['feedback'] = Object.freeze({ count: 0, meanScore: null });

/** The request a kept route's factor notes see: its prompt is not kept. */
const NO_REQUEST: RouteRequest = { messages: [] };

function withoutTaskText(agent: AgentContext): AgentContext {
  const { taskText: _, ...rest } = agent;
  return rest;
}

/** The listing's view of an outcome: who served it, how it ended, how long, how many tokens. */
function noteOutcome(
  summary: RouteSummary,
  served: { nodeId: string; modelId: string },
  outcome: Outcome,
): void {
  summary.nodeId = served.nodeId;
  summary.modelId = served.modelId;
  summary.status = outcome.success ? 'ok' : 'error';
  if (outcome.latencyMs !== undefined) summary.latencyMs = outcome.latencyMs;
  if (outcome.tokens !== undefined) summary.tokens = outcome.tokens;
  if (outcome.error !== undefined) summary.error = outcome.error;
}
