import type { PromptAnalysis } from '../analysis/analyze.js';
import { TIERS } from '../config/tiers.js';
import type { AgentContext } from '../context/agent-context.js';
import { PRIOR_STRENGTH } from '../learning/learned-quality.js';
import {
  type QualityTemperature,
  routeTemperature,
  type TemperatureThresholds,
} from '../learning/quality-temperature.js';
import {
  type PipelineResult,
  TOP_QUALITY,
  TOP_STRENGTH,
  TOP_TERMS,
  TOP_TIME_MS,
  TOP_UTILITY,
} from './pipeline.js';
import type { Factor, RouteCandidate, RoutingContext } from './plugin.js';
import { describeObjective } from './profiles.js';
import type { Candidate, RouteAttempt, RouteExplanation, ScoredCandidate } from './types.js';

/** Fields this implementation adds to RouteExplanation. */
export interface RouteExplanationExtras {
  /** Kept candidates not listed in `ranked` (only on large clusters). */
  rankedOmitted: number;
}

export type DetailedRouteExplanation = RouteExplanation & RouteExplanationExtras;

/** An explanation the router keeps: its failover attempts are added as they happen. */
export interface KeptExplanation extends DetailedRouteExplanation {
  addAttempt(attempt: RouteAttempt): void;
}

/**
 * A route's own part of its routing context: what its explanation reads later. Kept instead of the
 * context itself, which also holds the request and the router's shared state (see LazyExplanation).
 */
export type KeptRouteFacts = Pick<
  RoutingContext,
  | 'agent'
  | 'analysis'
  | 'band'
  | 'profile'
  | 'objective'
  | 'typicalMs'
  | 'pinnedModel'
  | 'rules'
  | 'now'
  | 'expectedOutputTokens'
  | 'team'
  | 'role'
  | 'explore'
  | 'affinity'
  | 'stickTo'
  | 'run'
  | 'handOff'
>;

/** What every explanation of one router shares. */
export interface ExplanationParts {
  readonly factors: readonly Factor[];
  readonly plain: readonly Candidate[];
  readonly temperature: TemperatureThresholds;
  /**
   * The routing context factor notes see for a kept route: its own facts, the router's state at
   * the time of reading (notes describe the cluster as it is when someone asks), no prompt.
   */
  noteContext(facts: KeptRouteFacts): RoutingContext;
}

interface ExplanationInput {
  routeId: string;
  /** The prompt-free agent context the explanation shows. */
  agent: AgentContext;
  ctx: RoutingContext;
  result: PipelineResult;
  parts: ExplanationParts;
}

/**
 * Builds the explanation cheaply: scalar fields now, `ranked` and `summary` on first read
 * (they allocate per candidate and per factor). Notes are rendered at that first read, from the
 * stored scores and the cluster state at that moment.
 */
export function buildExplanation(input: ExplanationInput): KeptExplanation {
  return new LazyExplanation(input);
}

/**
 * A class, not an object literal with getters: a literal's getters are new functions per route,
 * which gives every explanation a hidden class of its own. Those live until a full GC and keep
 * the young objects they point at alive, so each route's garbage was promoted (measured: ~25% of
 * what a route allocates survived young-generation GCs). Getters on the prototype share one.
 *
 * The newest routes' explanations stay in memory (Router detailCapacity), so each one is copied by
 * the young-generation GC that promotes it: it keeps its route's facts and top rows, not the
 * routing context and pipeline result (with the request and the fallbacks), which held ~0.5 KB
 * more per route (bench/results/routing-before-after.md).
 * `toJSON` lists the lazy fields so the HTTP API and the CLI print the whole explanation.
 */
class LazyExplanation implements KeptExplanation {
  readonly routeId: string;
  readonly candidates: number;
  readonly filters: DetailedRouteExplanation['filters'];
  readonly chosen: Candidate;
  readonly explored: boolean;
  readonly rankedOmitted: number;
  readonly #parts: ExplanationParts;
  readonly #facts: KeptRouteFacts;
  readonly #chosen: RouteCandidate;
  /** The pipeline's top rows: candidates and their predictions (PipelineResult.top, topValues). */
  readonly #top: readonly RouteCandidate[];
  readonly #values: ArrayLike<number>;
  readonly #stride: number;
  readonly #fastestMs: number;
  /** Made at the first attempt, one element long (an array grown by push reserves 16). */
  #attempts: RouteAttempt[] | undefined;
  #ranked: ScoredCandidate[] | undefined;
  #summary: string | undefined;
  #objective: RouteExplanation['objective'] | undefined;
  /** Read at routing and again with the answer's headers: kept until an attempt fails (addAttempt). */
  #temperature: QualityTemperature | undefined;

  constructor(input: ExplanationInput) {
    const { result, ctx, parts } = input;
    this.routeId = input.routeId;
    this.candidates = result.candidates;
    this.filters = result.verdicts;
    this.chosen = parts.plain[result.chosen.index] as Candidate;
    this.explored = result.explored;
    this.rankedOmitted = result.omitted;
    this.#parts = parts;
    this.#facts = keptFacts(ctx, input.agent);
    this.#chosen = result.chosen;
    this.#top = result.top;
    this.#values = result.topValues;
    this.#stride = result.topStride;
    this.#fastestMs = result.fastestMs;
  }

  get context(): AgentContext {
    return this.#facts.agent;
  }

  get analysis(): PromptAnalysis {
    return this.#facts.analysis;
  }

  get profile(): string {
    return this.#facts.profile;
  }

  get attempts(): RouteAttempt[] {
    return this.#attempts ?? NO_ATTEMPTS;
  }

  addAttempt(attempt: RouteAttempt): void {
    if (this.#attempts) this.#attempts.push(attempt);
    else this.#attempts = [attempt];
    // A fallback makes the route warmer (see temperature).
    if (!attempt.ok) this.#temperature = undefined;
  }

  /** Built at first read: its description formats numbers, a measurable share of a route. */
  get objective(): RouteExplanation['objective'] {
    if (this.#objective) return this.#objective;
    const facts = this.#facts;
    const typicalMs = facts.typicalMs || this.#fastestMs;
    this.#objective = {
      ...facts.objective,
      description: describeObjective(facts.objective, typicalMs),
      typicalMs,
      expectedOutputTokens: facts.expectedOutputTokens,
    };
    return this.#objective;
  }

  get at(): string {
    return new Date(this.#facts.now).toISOString();
  }

  /** Worked out at the first read and again after a failed attempt (a failover makes it warmer). */
  get temperature(): QualityTemperature {
    this.#temperature ??= this.#temperatureNow();
    return this.#temperature;
  }

  #temperatureNow(): QualityTemperature {
    const chosen = this.#chosen;
    // The chosen candidate's prediction (an exploring route serves one below the top).
    const k = Math.max(
      0,
      this.#top.findIndex((c) => c.index === chosen.index),
    );
    const at = k * this.#stride;
    const detailed = k < this.#top.length;
    const strength = detailed ? (this.#values[at + TOP_STRENGTH] as number) : PRIOR_STRENGTH;
    return routeTemperature(
      {
        quality: detailed ? (this.#values[at + TOP_QUALITY] as number) : 0,
        strength,
        evidence: Math.max(0, strength - PRIOR_STRENGTH),
        complexity: this.analysis.complexity,
        tier: TIERS[chosen.tierRank] ?? 'medium',
        fellBack: this.attempts.some((attempt) => !attempt.ok),
      },
      this.#parts.temperature,
    );
  }

  get ranked(): ScoredCandidate[] {
    this.#ranked ??= this.rank();
    return this.#ranked;
  }

  get summary(): string {
    this.#summary ??= this.summarise(this.ranked);
    return this.#summary;
  }

  toJSON(): Record<string, unknown> {
    return {
      routeId: this.routeId,
      at: this.at,
      context: this.context,
      analysis: this.analysis,
      profile: this.profile,
      objective: this.objective,
      candidates: this.candidates,
      filters: this.filters,
      ranked: this.ranked,
      chosen: this.chosen,
      explored: this.explored,
      attempts: this.attempts,
      summary: this.summary,
      temperature: this.temperature,
      rankedOmitted: this.rankedOmitted,
    };
  }

  /** The detailed candidates, best first, with their predictions and every factor's term. */
  private rank(): ScoredCandidate[] {
    const { factors, plain } = this.#parts;
    const values = this.#values;
    const stride = this.#stride;
    const ctx = this.#parts.noteContext(this.#facts);
    return this.#top.map((candidate, r) => {
      const at = r * stride;
      const terms: ScoredCandidate['terms'] = {};
      factors.forEach((factor, f) => {
        const value = values[at + TOP_TERMS + f] as number;
        const note = factor.note ? factor.note(candidate, value, ctx) : undefined;
        terms[factor.name] =
          note === undefined ? { adds: factor.adds, value } : { adds: factor.adds, value, note };
      });
      return {
        ...(plain[candidate.index] as Candidate),
        total: values[at + TOP_UTILITY] as number,
        quality: values[at + TOP_QUALITY] as number,
        timeMs: values[at + TOP_TIME_MS] as number,
        terms,
      };
    });
  }

  private summarise(ranked: readonly ScoredCandidate[]): string {
    const facts = this.#facts;
    const chosen = ranked[0];
    if (!chosen) return 'no candidate';
    const removed = this.filters.reduce(
      (sum, verdict) => sum + ((verdict as { removedCount?: number }).removedCount ?? verdict.removed.length),
      0,
    );
    const runnerUp = ranked[1];
    const margin = runnerUp
      ? `; runner-up ${runnerUp.modelId}@${runnerUp.nodeId}: ${prediction(runnerUp)}`
      : '';
    const explored = this.explored ? ' (exploring: its quality is uncertain enough to be worth a try)' : '';
    const handOff = runnerUp ? handOffDecided(chosen, runnerUp) : '';
    const pinned =
      facts.stickTo !== undefined &&
      facts.affinity?.nodeId === chosen.nodeId &&
      facts.affinity.modelId === chosen.modelId
        ? " (kept on the session's node: routing.sessions is pin)"
        : '';
    return (
      `${this.analysis.taskType} prompt, complexity ${this.analysis.complexity.toFixed(2)} (${facts.band}), ` +
      `profile ${facts.profile} maximises ${describeObjective(facts.objective, facts.typicalMs || this.#fastestMs)}: ` +
      `chose ${chosen.modelId}@${chosen.nodeId}${pinned}${explored}: ${prediction(chosen)}${margin}${handOff}; ` +
      `${removed} of ${this.candidates} candidates filtered out.`
    );
  }
}

/** Shared by explanations with no attempt yet (read-only: attempts are added with addAttempt). */
const NO_ATTEMPTS: RouteAttempt[] = Object.freeze([]) as unknown as RouteAttempt[];

/** The route's own facts, every field set (one hidden class for all of them). */
function keptFacts(ctx: RoutingContext, agent: AgentContext): KeptRouteFacts {
  return {
    agent,
    analysis: ctx.analysis,
    band: ctx.band,
    profile: ctx.profile,
    objective: ctx.objective,
    typicalMs: ctx.typicalMs,
    pinnedModel: ctx.pinnedModel,
    rules: ctx.rules,
    now: ctx.now,
    expectedOutputTokens: ctx.expectedOutputTokens,
    team: ctx.team,
    role: ctx.role,
    explore: ctx.explore,
    affinity: ctx.affinity,
    stickTo: ctx.stickTo,
    run: ctx.run,
    handOff: ctx.handOff,
  };
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** "quality 0.86, ~3.2 s (wait 1.1 s)" for one ranked candidate. */
function prediction(candidate: ScoredCandidate): string {
  const wait = candidate.terms['queue-wait']?.value ?? 0;
  const waited = wait > 0 ? ` (wait ${seconds(wait)})` : '';
  return `quality ${candidate.quality.toFixed(2)}, ~${seconds(candidate.timeMs)}${waited} → ${candidate.total.toFixed(2)}`;
}

/** Says so when the hand-off statistic (session outcomes) is what put the chosen one first. */
function handOffDecided(chosen: ScoredCandidate, runnerUp: ScoredCandidate): string {
  const term = (c: ScoredCandidate) => c.terms['hand-off']?.value ?? 0;
  const edge = term(chosen) - term(runnerUp);
  if (!(edge > 0) || edge < chosen.total - runnerUp.total) return '';
  return `; the hand-off statistic decided it (${chosen.terms['hand-off']?.note ?? ''})`;
}
