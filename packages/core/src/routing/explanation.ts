import type { PromptAnalysis } from '../analysis/analyze.js';
import type { AgentContext } from '../context/agent-context.js';
import type { PipelineResult } from './pipeline.js';
import type { RoutingContext, Scorer } from './plugin.js';
import type { Candidate, RouteExplanation, ScoredCandidate } from './types.js';

/** Fields this implementation adds to RouteExplanation. */
export interface RouteExplanationExtras {
  /** Normalised weight per active scorer. */
  weights: Record<string, number>;
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
  scorers: readonly Scorer[];
  weights: Float64Array;
  plain: readonly Candidate[];
}

/**
 * Builds the explanation cheaply: scalar fields now, `ranked` and `summary` on first read
 * (they allocate per candidate and per scorer). Notes are rendered at that first read, from the
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

  get at(): string {
    return new Date(this.#input.now).toISOString();
  }

  get ranked(): ScoredCandidate[] {
    this.#ranked ??= rank(this.#input);
    return this.#ranked;
  }

  get summary(): string {
    this.#summary ??= summarise(this.#input, this.ranked);
    return this.#summary;
  }

  get weights(): Record<string, number> {
    return namedWeights(this.#input.scorers, this.#input.weights);
  }

  toJSON(): Record<string, unknown> {
    return {
      routeId: this.routeId,
      at: this.at,
      context: this.context,
      analysis: this.analysis,
      profile: this.profile,
      candidates: this.candidates,
      filters: this.filters,
      ranked: this.ranked,
      chosen: this.chosen,
      explored: this.explored,
      attempts: this.attempts,
      summary: this.summary,
      weights: this.weights,
      rankedOmitted: this.rankedOmitted,
    };
  }
}

/** The detailed candidates, best first, with each scorer's score, weight and note. */
function rank(input: ExplanationInput): ScoredCandidate[] {
  const { result, scorers, weights, plain } = input;
  return result.top.map((candidate, r) => {
    const scores: ScoredCandidate['scores'] = {};
    scorers.forEach((scorer, s) => {
      const score = result.topScores[r * scorers.length + s] as number;
      const weight = weights[s] as number;
      const note = scorer.note ? scorer.note(candidate, score, input.ctx) : undefined;
      scores[scorer.name] =
        note === undefined
          ? { score, weight, contribution: score * weight }
          : { score, weight, contribution: score * weight, note };
    });
    return { ...(plain[candidate.index] as Candidate), total: result.topTotals[r] as number, scores };
  });
}

const namedWeightCache = new WeakMap<Float64Array, Record<string, number>>();

/** Weights by scorer name; cached per weight vector (the router caches those per profile). */
function namedWeights(scorers: readonly Scorer[], weights: Float64Array): Record<string, number> {
  let named = namedWeightCache.get(weights);
  if (!named) {
    named = {};
    for (let s = 0; s < scorers.length; s++) named[(scorers[s] as Scorer).name] = weights[s] as number;
    namedWeightCache.set(weights, Object.freeze(named));
  }
  return named;
}

function summarise(input: ExplanationInput, ranked: readonly ScoredCandidate[]): string {
  const { result } = input;
  const chosen = ranked[0];
  if (!chosen) return 'no candidate';
  const factors = Object.entries(chosen.scores)
    .sort((a, b) => b[1].contribution - a[1].contribution)
    .slice(0, 2)
    .map(([name, entry]) => `${name} ${entry.contribution.toFixed(2)}`)
    .join(', ');
  const removed = result.verdicts.reduce(
    (sum, verdict) => sum + ((verdict as { removedCount?: number }).removedCount ?? verdict.removed.length),
    0,
  );
  const runnerUp = ranked[1];
  const margin = runnerUp
    ? `; runner-up ${runnerUp.modelId}@${runnerUp.nodeId} ${runnerUp.total.toFixed(2)}`
    : '';
  const explored = result.explored ? ' (exploring)' : '';
  return (
    `${input.analysis.taskType} prompt, complexity ${input.analysis.complexity.toFixed(2)}, profile ${input.ctx.profile}: ` +
    `chose ${chosen.modelId}@${chosen.nodeId}${explored} with total ${chosen.total.toFixed(2)} (top factors: ${factors})` +
    `${margin}; ${removed} of ${result.candidates} candidates filtered out.`
  );
}
