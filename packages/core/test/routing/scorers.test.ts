import { describe, expect, it } from 'vitest';
import type { NodeState } from '../../src/cluster/node-state.js';
import { LearnedQuality } from '../../src/learning/learned-quality.js';
import { Prng } from '../../src/learning/prng.js';
import { CandidateTable } from '../../src/routing/candidate-table.js';
import { argMax, pickFallbacks, topIndices } from '../../src/routing/picker.js';
import type { RouteCandidate, RoutingContext, Scorer } from '../../src/routing/plugin.js';
import {
  expectedLatencyScorer,
  learnedQualityScorer,
  loadScorer,
  roleRulesScorer,
  sessionAffinityScorer,
  tierFitScorer,
  warmModelScorer,
} from '../../src/routing/scorers/index.js';
import { ask, testConfig } from './fixtures.js';

const config = testConfig();
const table = new CandidateTable(config);
const [smallA, largeA, smallB, mediumB, largeB] = table.candidates as [
  RouteCandidate,
  RouteCandidate,
  RouteCandidate,
  RouteCandidate,
  RouteCandidate,
];

function state(id: string, patch: Partial<NodeState> = {}): NodeState {
  return {
    id,
    up: true,
    loadedModels: undefined,
    validatedModels: undefined,
    inFlight: 0,
    queued: 0,
    capacity: 4,
    memory: undefined,
    cooldownUntil: 0,
    lastSeen: 0,
    ...patch,
  };
}

function ctxWith(patch: Partial<RoutingContext> = {}): RoutingContext {
  return {
    request: ask('hi'),
    agent: {},
    analysis: { complexity: 0.2, taskType: 'chat', promptTokens: 10 },
    profile: 'balanced',
    pinnedModel: undefined,
    rules: [],
    now: 0,
    config,
    nodeStates: [state('a'), state('b')],
    perf: [],
    expectedOutputTokens: 100,
    team: '*',
    role: '*',
    learned: new LearnedQuality(),
    explore: false,
    rng: new Prng(1),
    affinity: undefined,
    ...patch,
  } as RoutingContext;
}

function scores(scorer: Scorer, ctx: RoutingContext): number[] {
  scorer.prepare?.(table.candidates, ctx);
  return table.candidates.map((candidate) => {
    const { score } = scorer.score(candidate, ctx);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    if (scorer.value) expect(scorer.value(candidate, ctx)).toBe(score);
    return Number(score.toFixed(3));
  });
}

describe('scorers', () => {
  it('tier-fit maps complexity to tiers', () => {
    expect(
      scores(tierFitScorer(), ctxWith({ analysis: { complexity: 0, taskType: 'chat', promptTokens: 5 } })),
    ).toEqual([1, 0, 1, 0.5, 0]);
    expect(
      scores(tierFitScorer(), ctxWith({ analysis: { complexity: 1, taskType: 'math', promptTokens: 5 } })),
    ).toEqual([0, 1, 0, 0.5, 1]);
    expect(tierFitScorer().score(mediumB, ctxWith()).note).toContain('medium model');
  });

  it('expected-latency gives the fastest 1 and slower ones proportionally less', () => {
    const perf = [];
    perf[smallA.index] = { ttftMs: 100, decodeTokensPerSec: 100, samples: 3 }; // 1100 ms
    perf[smallB.index] = { ttftMs: 1200, decodeTokensPerSec: 100, samples: 3 }; // 2200 ms
    const values = scores(expectedLatencyScorer(), ctxWith({ perf }));
    expect(values[smallA.index]).toBe(1);
    expect(values[smallB.index]).toBe(0.5);
    expect(values[largeA.index]).toBeLessThan(0.5); // tier default for large: slow
  });

  it('load prefers idle nodes and counts queued requests', () => {
    const ctx = ctxWith({
      nodeStates: [state('a', { inFlight: 2, queued: 1 }), state('b', { inFlight: 8 })],
    });
    expect(scores(loadScorer(), ctx)).toEqual([0.25, 0.25, 0, 0, 0]);
  });

  it('warm-model prefers loaded models, is neutral when unobservable', () => {
    const ctx = ctxWith({ nodeStates: [state('a', { loadedModels: ['large'] }), state('b')] });
    expect(scores(warmModelScorer(), ctx)).toEqual([0, 1, 0.5, 0.5, 0.5]);
  });

  it('learned-quality uses the posterior mean, priors from tiers or priorScores', () => {
    const learned = new LearnedQuality();
    for (let i = 0; i < 50; i++) learned.update('*', '*', 'chat', 'small', 0, i);
    const values = scores(learnedQualityScorer(), ctxWith({ learned }));
    expect(values[smallA.index]).toBeLessThan(0.05);
    expect(values[smallA.index]).toBe(values[smallB.index]);
    expect(values[mediumB.index]).toBeGreaterThan(0.5);
    const primed = scores(learnedQualityScorer(), ctxWith({ agent: { priorScores: { medium: 0.99 } } }));
    expect(primed[mediumB.index]).toBe(0.99);
  });

  it('learned-quality samples on exploring routes and keeps the mean as its score', () => {
    const scorer = learnedQualityScorer();
    const ctx = ctxWith({ explore: true });
    scorer.prepare?.(table.candidates, ctx);
    expect(scorer.sampleValue(largeB)).not.toBe(scorer.exploitValue(largeB));
    expect(scorer.value?.(largeB, ctx)).toBe(scorer.exploitValue(largeB));
  });

  it('learned-quality pulls harder as judged evidence grows', () => {
    const scorer = learnedQualityScorer();
    scorer.prepare?.(table.candidates, ctxWith());
    expect(scorer.weightScale?.()).toBe(1);
    const learned = new LearnedQuality();
    for (let i = 0; i < 10; i++) learned.update('*', '*', 'chat', 'small', 0, i);
    scorer.prepare?.(table.candidates, ctxWith({ learned }));
    expect(scorer.weightScale?.()).toBeCloseTo(2); // 10 judged = half of the maximum boost
    const weak = new LearnedQuality();
    for (let i = 0; i < 10; i++) weak.update('*', '*', 'chat', 'small', 1, i, 0.2);
    scorer.prepare?.(table.candidates, ctxWith({ learned: weak }));
    expect(scorer.weightScale?.()).toBeCloseTo(1 + (2 * 2) / 12); // implicit evidence counts 0.2 each
  });

  it('session-affinity prefers the session node × model and fades with load', () => {
    const affinity = { nodeId: 'b', modelId: 'medium' };
    expect(scores(sessionAffinityScorer(), ctxWith({ affinity }))).toEqual([0, 0, 0.6, 1, 0.6]);
    const busy = ctxWith({ affinity, nodeStates: [state('a'), state('b', { inFlight: 3 })] });
    expect(scores(sessionAffinityScorer(), busy)[mediumB.index]).toBe(0.5);
    expect(scores(sessionAffinityScorer(), ctxWith())).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('role-rules scores prefer 1, avoid 0, neutral 0.5', () => {
    const rules = [{ role: 'coder', prefer: ['large'], avoid: ['small', 'a'] }];
    expect(scores(roleRulesScorer(), ctxWith({ rules } as Partial<RoutingContext>))).toEqual([
      0, 0.5, 0, 0.5, 1,
    ]);
  });
});

describe('picker', () => {
  it('ranks best first, stable on ties, bounded', () => {
    const totals = new Float64Array([0.5, 0.9, 0.9, 0.1, 0.7]);
    expect(topIndices(totals, 5, 3)).toEqual([1, 2, 4]);
    expect(topIndices(totals, 5, 10)).toEqual([1, 2, 4, 0, 3]);
    expect(argMax(totals, 5)).toBe(1);
  });

  it('prefers other nodes for fallbacks', () => {
    const nodes = ['a', 'a', 'b', 'a', 'c'];
    expect(pickFallbacks([0, 1, 2, 3, 4], (i) => nodes[i] as string, 3)).toEqual([2, 4, 1]);
    expect(pickFallbacks([0], (i) => nodes[i] as string, 3)).toEqual([]);
  });
});
