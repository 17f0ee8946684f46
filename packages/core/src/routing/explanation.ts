import type { PromptAnalysis } from '../analysis/analyze.js';
import { TIERS } from '../config/tiers.js';
import type { AgentContext } from '../context/agent-context.js';
import { PRIOR_STRENGTH } from '../learning/learned-quality.js';
import { type QualityTemperature, routeTemperature } from '../learning/quality-temperature.js';
import {
  type PipelineResult,
  TOP_QUALITY,
  TOP_STRENGTH,
  TOP_TERMS,
  TOP_TIME_MS,
  TOP_UTILITY,
} from './pipeline.js';
import type { Factor, RoutingContext } from './plugin.js';
import { describeObjective } from './profiles.js';
import type { Candidate, RouteExplanation, ScoredCandidate } from './types.js';

/** Fields this implementation adds to RouteExplanation. */
export interface RouteExplanationExtras {
  /** Kept candidates not listed in `ranked` (only on large clusters). */
  rankedOmitted: number;
}

export type DetailedRouteExplanation = RouteExplanation & RouteExplanationExtras;

interface ExplanationInput {
  routeId: string;
  now: number;
  agent: AgentContext;
  analysis: PromptAnalysis;
  ctx: RoutingContext;
  result: PipelineResult;
  factors: readonly Factor[];
  plain: readonly Candidate[];
}

/**
 * Builds the explanation cheaply: scalar fields now, `ranked` and `summary` on first read
 * (they allocate per candidate and per factor). Notes are rendered at that first read, from the
 * stored scores and the cluster state at that moment.
 */
export function buildExplanation(input: ExplanationInput): DetailedRouteExplanation {
  return new LazyExplanation(input);
}

/**
 * A class, not an object literal with getters: a literal's getters are new functions per route,
 * which gives every explanation a hidden class of its own. Those live until a full GC and keep
 * the young objects they point at alive, so each route's garbage was promoted (measured: ~25% of
 * what a route allocates survived young-generation GCs). Getters on the prototype share one.
 * `toJSON` lists the lazy fields so the HTTP API and the CLI print the whole explanation.
 */
class LazyExplanation implements DetailedRouteExplanation {
  readonly routeId: string;
  readonly context: AgentContext;
  readonly analysis: PromptAnalysis;
  readonly profile: string;
  readonly candidates: number;
  readonly filters: DetailedRouteExplanation['filters'];
  readonly chosen: Candidate;
  readonly explored: boolean;
  readonly attempts: DetailedRouteExplanation['attempts'] = [];
  readonly rankedOmitted: number;
  readonly #input: ExplanationInput;
  #ranked: ScoredCandidate[] | undefined;
  #summary: string | undefined;
  #objective: RouteExplanation['objective'] | undefined;

  constructor(input: ExplanationInput) {
    const { result } = input;
    this.#input = input;
    this.routeId = input.routeId;
    this.context = input.agent;
    this.analysis = input.analysis;
    this.profile = input.ctx.profile;
    this.candidates = result.candidates;
    this.filters = result.verdicts;
    this.chosen = input.plain[result.chosen.index] as Candidate;
    this.explored = result.explored;
    this.rankedOmitted = result.omitted;
  }

  /** Built at first read: its description formats numbers, a measurable share of a route. */
  get objective(): RouteExplanation['objective'] {
    if (this.#objective) return this.#objective;
    const { ctx, result } = this.#input;
    const typicalMs = ctx.typicalMs || result.fastestMs;
    this.#objective = {
      ...ctx.objective,
      description: describeObjective(ctx.objective, typicalMs),
      typicalMs,
      expectedOutputTokens: ctx.expectedOutputTokens,
    };
    return this.#objective;
  }

  get at(): string {
    return new Date(this.#input.now).toISOString();
  }

  /** Read at each call: a failover recorded since makes it warmer. */
  get temperature(): QualityTemperature {
    const { result, analysis, ctx } = this.#input;
    // The chosen candidate's prediction (an exploring route serves one below the top).
    const k = Math.max(
      0,
      result.top.findIndex((c) => c.index === result.chosen.index),
    );
    const at = k * result.topStride;
    const detailed = k < result.top.length;
    const strength = detailed ? (result.topValues[at + TOP_STRENGTH] as number) : PRIOR_STRENGTH;
    return routeTemperature(
      {
        quality: detailed ? (result.topValues[at + TOP_QUALITY] as number) : 0,
        strength,
        evidence: Math.max(0, strength - PRIOR_STRENGTH),
        complexity: analysis.complexity,
        tier: TIERS[result.chosen.tierRank] ?? 'medium',
        fellBack: this.attempts.some((attempt) => !attempt.ok),
      },
      ctx.config.routing.temperature,
    );
  }

  get ranked(): ScoredCandidate[] {
    this.#ranked ??= rank(this.#input);
    return this.#ranked;
  }

  get summary(): string {
    this.#summary ??= summarise(this.#input, this.ranked);
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
}

/** The detailed candidates, best first, with their predictions and every factor's term. */
function rank(input: ExplanationInput): ScoredCandidate[] {
  const { result, factors, plain } = input;
  const values = result.topValues;
  return result.top.map((candidate, r) => {
    const at = r * result.topStride;
    const terms: ScoredCandidate['terms'] = {};
    factors.forEach((factor, f) => {
      const value = values[at + TOP_TERMS + f] as number;
      const note = factor.note ? factor.note(candidate, value, input.ctx) : undefined;
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

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** "quality 0.86, ~3.2 s (wait 1.1 s)" for one ranked candidate. */
function prediction(candidate: ScoredCandidate): string {
  const wait = candidate.terms['queue-wait']?.value ?? 0;
  const waited = wait > 0 ? ` (wait ${seconds(wait)})` : '';
  return `quality ${candidate.quality.toFixed(2)}, ~${seconds(candidate.timeMs)}${waited} → ${candidate.total.toFixed(2)}`;
}

function summarise(input: ExplanationInput, ranked: readonly ScoredCandidate[]): string {
  const { result, ctx } = input;
  const chosen = ranked[0];
  if (!chosen) return 'no candidate';
  const removed = result.verdicts.reduce(
    (sum, verdict) => sum + ((verdict as { removedCount?: number }).removedCount ?? verdict.removed.length),
    0,
  );
  const runnerUp = ranked[1];
  const margin = runnerUp
    ? `; runner-up ${runnerUp.modelId}@${runnerUp.nodeId}: ${prediction(runnerUp)}`
    : '';
  const explored = result.explored ? ' (exploring: its quality is uncertain enough to be worth a try)' : '';
  const handOff = runnerUp ? handOffDecided(chosen, runnerUp) : '';
  const pinned =
    ctx.stickTo !== undefined &&
    ctx.affinity?.nodeId === chosen.nodeId &&
    ctx.affinity.modelId === chosen.modelId
      ? " (kept on the session's node: routing.sessions is pin)"
      : '';
  return (
    `${input.analysis.taskType} prompt, complexity ${input.analysis.complexity.toFixed(2)} (${ctx.band}), ` +
    `profile ${ctx.profile} maximises ${describeObjective(ctx.objective, ctx.typicalMs || result.fastestMs)}: ` +
    `chose ${chosen.modelId}@${chosen.nodeId}${pinned}${explored}: ${prediction(chosen)}${margin}${handOff}; ` +
    `${removed} of ${result.candidates} candidates filtered out.`
  );
}

/** Says so when the hand-off statistic (session outcomes) is what put the chosen one first. */
function handOffDecided(chosen: ScoredCandidate, runnerUp: ScoredCandidate): string {
  const term = (c: ScoredCandidate) => c.terms['hand-off']?.value ?? 0;
  const edge = term(chosen) - term(runnerUp);
  if (!(edge > 0) || edge < chosen.total - runnerUp.total) return '';
  return `; the hand-off statistic decided it (${chosen.terms['hand-off']?.note ?? ''})`;
}
