import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { BrokeConfigSchema } from '../../src/config/schema.js';
import type { Outcome } from '../../src/learning/outcome.js';
import { IMPLICIT_WEIGHT } from '../../src/learning/reward.js';
import { Router } from '../../src/routing/router.js';
import { MemoryStatsStore } from '../../src/stores/memory-stats-store.js';

// The scripts/demo.ts scenario without the network: a fast "small"-tier model on one node and a
// slower "large"-tier model on another. Like the gateway, every request records an implicit
// outcome (success, latency, TTFT, tokens) and then a scripted judge posts a score as feedback.
const config = BrokeConfigSchema.parse({
  nodes: [
    { id: 'studio', url: 'http://127.0.0.1:1', maxConcurrency: 2, models: [{ id: 'broke-small' }] },
    { id: 'mini', url: 'http://127.0.0.2:1', maxConcurrency: 2, models: [{ id: 'broke-tiny' }] },
  ],
  models: [
    { id: 'broke-small', family: 'llama', contextLength: 4096, tier: 'large' },
    { id: 'broke-tiny', family: 'llama', contextLength: 4096, tier: 'small' },
  ],
  routing: { seed: 7, explorationRate: 0.05 },
  store: { kind: 'memory' },
});

const team = 'newsroom';
const workload = [
  { role: 'researcher', prompt: 'List three facts about the Moon with their sources.' },
  {
    role: 'researcher',
    prompt: 'Extract every date and person named in: "On 4 May 1994 Ada met Bob in Paris."',
  },
  { role: 'writer', prompt: 'Write a short upbeat paragraph announcing our new cluster.' },
  { role: 'writer', prompt: 'Summarise this in one sentence: BROKE routes agent requests across Macs.' },
  {
    role: 'code_reviewer',
    prompt:
      'Review this function for bugs and security problems, step by step:\n```ts\nfunction q(u){return db.query("SELECT * FROM users WHERE id="+u)}\n```',
  },
  {
    role: 'code_reviewer',
    prompt: 'Is `for (let i = 0; i <= arr.length; i++) sum += arr[i]` correct? Explain why.',
  },
  { role: 'chat', prompt: 'hi!' },
  { role: 'chat', prompt: 'Thanks, that helps.' },
];

/** Review work is better on the large model; everything else is fine anywhere (as in the demo). */
function judge(role: string, modelId: string, tinyReview = 0.1): number {
  if (role === 'code_reviewer') return modelId === 'broke-small' ? 0.95 : tinyReview;
  return modelId === 'broke-small' ? 0.7 : 0.8;
}

/** What the gateway reports after a successful answer: the tiny model is ~4× faster. */
function implicitOutcome(modelId: string): Outcome {
  return modelId === 'broke-tiny'
    ? { success: true, latencyMs: 40, ttftMs: 10, tokens: 12 }
    : { success: true, latencyMs: 160, ttftMs: 40, tokens: 12 };
}

async function setup() {
  const cluster = new ClusterState(config.nodes);
  cluster.update('studio', { loadedModels: ['broke-small'] });
  cluster.update('mini', { loadedModels: ['broke-tiny'] });
  // The gateway seeds speed from node baselines; outcomes then refine it (same numbers here).
  cluster.seedPerf('studio', 'broke-small', { ttftMs: 40, decodeTokensPerSec: 100 });
  cluster.seedPerf('mini', 'broke-tiny', { ttftMs: 10, decodeTokensPerSec: 400 });
  const store = new MemoryStatsStore();
  const router = await Router.create({ config, cluster, store, now: () => 1000 });
  return { cluster, store, router };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** One round of the workload with session headers, each route judged; returns the models. */
async function round(
  { router }: Setup,
  profile = 'broke-auto',
  explored: boolean[] = [],
  tinyReview = 0.1,
): Promise<string[]> {
  const models: string[] = [];
  for (const job of workload) {
    const decision = router.route(
      { messages: [{ role: 'user', content: job.prompt }], model: profile, maxTokens: 12 },
      { role: job.role, team, sessionId: `${team}-${job.role}` },
    );
    models.push(decision.modelId);
    explored.push(decision.explanation.explored);
    await router.recordOutcome(decision.routeId, implicitOutcome(decision.modelId));
    await router.feedback(decision.routeId, { score: judge(job.role, decision.modelId, tinyReview) });
  }
  return models;
}

describe('learning in the gateway flow (implicit outcome, then judged feedback)', () => {
  it('moves code_reviewer to the model the judge prefers; chat and writer stay on the fast one', async () => {
    const env = await setup();
    const explored: boolean[] = [];
    const first = await round(env, 'broke-auto', explored);
    // Cold start follows the size prior: the code reviews, where it expects the largest gap,
    // go to the large-tier model (unless a route explored).
    first.forEach((model, i) => {
      if (workload[i]?.role === 'code_reviewer' && !explored[i]) expect(model).toBe('broke-small');
    });
    expect(explored.filter(Boolean).length).toBeLessThanOrEqual(2);

    const reviews = workload.filter((job) => job.role === 'code_reviewer');
    const used: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const job = reviews[i % reviews.length] as (typeof reviews)[number];
      const decision = env.router.route(
        { messages: [{ role: 'user', content: job.prompt }], maxTokens: 4 },
        { role: job.role, team },
      );
      used[decision.modelId] = (used[decision.modelId] ?? 0) + 1;
      await env.router.recordOutcome(decision.routeId, implicitOutcome(decision.modelId));
      await env.router.feedback(decision.routeId, { score: judge(job.role, decision.modelId) });
    }
    expect(used['broke-small']).toBeGreaterThan(0); // the untried model got tried

    const second = await round(env);
    workload.forEach((job, i) => {
      if (job.role === 'code_reviewer') expect(second[i], `${job.role} #${i}`).toBe('broke-small');
      if (job.role === 'chat' || job.role === 'writer')
        expect(second[i], `${job.role} #${i}`).toBe('broke-tiny');
    });

    // The judged score replaced the implicit success: broke-tiny's review statistics hold only
    // the judge's 0.1s, not 1.0s from "it answered".
    const tinyReviews = env.router
      .stats()
      .filter((s) => s.role === 'code_reviewer' && s.modelId === 'broke-tiny' && s.team === team);
    for (const stat of tinyReviews) expect(stat.alpha / (stat.alpha + stat.beta)).toBeCloseTo(0.1, 5);
    // The store saw the same statistics (upserted after each supersession).
    const stored = await env.store.loadStats();
    expect(stored).toEqual(expect.arrayContaining(tinyReviews));
  });

  it('the latency profile wants a bigger quality gap than balanced before it takes the slower model', async () => {
    // The tiny model's reviews are mediocre (0.5 against 0.95): worth 4× the time under balanced
    // (which gives up 0.04 per typical request's time), not under latency (0.3).
    const env = await setup();
    for (let r = 0; r < 5; r++) await round(env, 'broke-auto', [], 0.5);
    const reviews = workload.filter((job) => job.role === 'code_reviewer');
    for (let i = 0; i < 30; i++) {
      const job = reviews[i % reviews.length] as (typeof reviews)[number];
      const decision = env.router.route(
        { messages: [{ role: 'user', content: job.prompt }], model: i % 2 ? 'broke-latency' : 'broke-auto' },
        { role: job.role, team },
      );
      await env.router.recordOutcome(decision.routeId, implicitOutcome(decision.modelId));
      await env.router.feedback(decision.routeId, { score: judge(job.role, decision.modelId, 0.5) });
    }
    const count = (profile: string) => {
      let tiny = 0;
      for (let i = 0; i < 50; i++) {
        const decision = env.router.route(
          { messages: [{ role: 'user', content: reviews[0]?.prompt ?? '' }], model: profile, maxTokens: 12 },
          { role: 'code_reviewer', team },
        );
        if (decision.modelId === 'broke-tiny') tiny++;
      }
      return tiny;
    };
    expect(count('broke-auto')).toBeLessThanOrEqual(5); // exploration may still try the other one
    expect(count('broke-latency')).toBeGreaterThanOrEqual(45);
  });

  it('judged feedback supersedes the implicit outcome, in either order', async () => {
    const { router } = await setup();
    const ask = { messages: [{ role: 'user' as const, content: 'hi!' }] };
    const a = router.route(ask, { role: 'chat' });
    // A success says the model answered, not how well: no quality evidence (it used to count as a
    // perfect answer, and the models served most looked best with nobody judging).
    await router.recordOutcome(a.routeId, { success: true, latencyMs: 40, ttftMs: 10, tokens: 12 });
    expect(router.stats().find((s) => s.modelId === a.modelId)).toBeUndefined();
    await router.feedback(a.routeId, { score: 0.3 });
    let stat = router.stats().find((s) => s.modelId === a.modelId);
    expect(stat?.n).toBe(1);
    expect(stat?.alpha).toBeCloseTo(0.3, 10);
    expect(stat?.beta).toBeCloseTo(0.7, 10);

    // Feedback first, then the gateway's implicit outcome: the outcome adds no quality evidence.
    const b = router.route(ask, { role: 'chat2' });
    await router.feedback(b.routeId, { thumbs: 'down' });
    await router.recordOutcome(b.routeId, { success: true, latencyMs: 40 });
    expect(router.stats().find((s) => s.role === 'chat2')).toMatchObject({ n: 1, alpha: 0, beta: 1 });

    // Implicit failures are weak evidence too, and a later judgement replaces them.
    const c = router.route(ask, { role: 'chat3' });
    await router.recordOutcome(c.routeId, { success: false, error: 'timeout' });
    expect(router.stats().find((s) => s.role === 'chat3')).toMatchObject({ alpha: 0, beta: IMPLICIT_WEIGHT });
    await router.feedback(c.routeId, { score: 0.9 });
    stat = router.stats().find((s) => s.role === 'chat3');
    expect(stat?.alpha).toBeCloseTo(0.9, 10);
    expect(stat?.beta).toBeCloseTo(0.1, 10);
  });
});
