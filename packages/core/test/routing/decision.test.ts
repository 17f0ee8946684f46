import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { type BrokeConfigInput, BrokeConfigSchema } from '../../src/config/schema.js';
import type { Factor } from '../../src/routing/plugin.js';
import { Router } from '../../src/routing/router.js';
import { ask } from './fixtures.js';

/** A heterogeneous cluster: a slow, strong 70B; a fast 14B; a very fast 3B. One model per node. */
function cluster(
  overrides: Partial<BrokeConfigInput['routing']> = {},
  nodePatch: Record<string, unknown> = {},
) {
  const config = BrokeConfigSchema.parse({
    nodes: [
      { id: 'ultra', url: 'http://127.0.0.1:1', models: [{ id: 'big' }], maxConcurrency: 2, ...nodePatch },
      { id: 'mini', url: 'http://127.0.0.1:2', models: [{ id: 'mid' }], maxConcurrency: 2 },
      { id: 'air', url: 'http://127.0.0.1:3', models: [{ id: 'tiny' }], maxConcurrency: 2 },
    ],
    models: [
      { id: 'big', parameters: 70, tier: 'large' },
      { id: 'mid', parameters: 14, tier: 'medium' },
      { id: 'tiny', parameters: 3, tier: 'small' },
    ],
    routing: { explorationRate: 0, ...overrides },
    store: { kind: 'memory' },
  });
  const state = new ClusterState(config.nodes);
  state.seedPerf('ultra', 'big', { ttftMs: 400, decodeTokensPerSec: 40 });
  state.seedPerf('mini', 'mid', { ttftMs: 150, decodeTokensPerSec: 120 });
  state.seedPerf('air', 'tiny', { ttftMs: 60, decodeTokensPerSec: 300 });
  return { config, state, router: new Router({ config, cluster: state, seed: 7 }) };
}

const HARD =
  'Design a lock-free multi-producer queue in Rust for our distributed scheduler. Prove the memory ordering ' +
  'invariants hold, handle every edge case (ABA, reclamation, shutdown), and explain the trade-offs against a ' +
  'mutex-based design. It must stay linearizable under concurrent retries; include property-based tests.';
const EASY = 'hi, thanks!';
const MODEST = 'Summarize in two sentences: the launch moved to Tuesday because the venue was double-booked.';

describe('the decision rule', () => {
  it('sends a hard prompt to the clearly better large model, and an easy one to a fast small one', () => {
    const { router } = cluster();
    const hard = router.route(ask(HARD), { role: 'architect' });
    expect(hard.modelId).toBe('big');
    const easy = router.route(ask(EASY), { role: 'chat' });
    expect(easy.modelId).not.toBe('big');
    const top = hard.explanation.ranked[0];
    expect(top?.quality).toBeGreaterThan((hard.explanation.ranked[1]?.quality ?? 1) + 0.1);
    expect(hard.explanation.objective.description).toMatch(
      /^quality − 0\.04 × extra time \/ \d+ ms \(a typical request\)$/,
    );
    expect(hard.explanation.summary).toMatch(/quality 0\.\d\d, ~/);
  });

  it('waits for the large node when its queue is short, goes elsewhere when the wait costs more than the objective allows', () => {
    const { router, state } = cluster({}, { queueLimit: 40 });
    const quality = () => router.route(ask(HARD, { model: 'broke-quality' }), { role: 'architect' });
    state.update('ultra', { inFlight: 2, waiting: 3 });
    const short = quality();
    expect(short.modelId).toBe('big');
    expect(short.explanation.ranked[0]?.terms['queue-wait']?.value).toBeGreaterThan(0);
    state.update('ultra', { inFlight: 2, waiting: 30 });
    expect(quality().modelId).not.toBe('big');
    // Balanced gives up more quality per second of waiting: the same short queue already sends
    // the request elsewhere, while with no queue it takes the large model.
    state.update('ultra', { inFlight: 2, waiting: 3 });
    expect(router.route(ask(HARD), { role: 'architect' }).modelId).not.toBe('big');
    state.update('ultra', { inFlight: 0, waiting: 0 });
    expect(router.route(ask(HARD), { role: 'architect' }).modelId).toBe('big');
  });

  it('the latency profile trades quality for speed where balanced does not', () => {
    const { router } = cluster();
    const medium =
      'Refactor this function to remove the duplicated branch and add a unit test: `function f(x) { if (x) return g(x); else return g(x); }`';
    const balanced = router.route(ask(medium, { model: 'broke-balanced' }));
    const fast = router.route(ask(medium, { model: 'broke-latency' }));
    expect(fast.explanation.ranked[0]?.timeMs).toBeLessThan(balanced.explanation.ranked[0]?.timeMs ?? 0);
  });

  it('objectiveFor overrides the profile per role', () => {
    const { router } = cluster({ objectiveFor: { '/chat': { latencyWeight: 5 } } });
    const decision = router.route(ask(HARD), { role: 'chat' });
    expect(decision.explanation.objective.latencyWeight).toBe(5);
    expect(decision.modelId).toBe('tiny');
  });

  it('counts a cold model load in the time, and a warm prompt cache for the session', () => {
    const { router, state } = cluster();
    state.update('ultra', { loadedModels: [] });
    const cold = router.route(ask(HARD), { role: 'architect' });
    const big = cold.explanation.ranked.find((c) => c.modelId === 'big');
    expect(big?.terms['cold-load']?.value).toBeGreaterThan(0);
    const first = router.route(ask(EASY), { sessionId: 's1' });
    const again = router.route(ask(EASY), { sessionId: 's1' });
    const same = again.explanation.ranked.find((c) => c.nodeId === first.nodeId);
    expect(same?.terms['session-cache']?.value).toBeLessThan(0);
  });

  it('routing.sessions pin keeps a session on its node × model while it can serve, with fallbacks', () => {
    const prefer = cluster();
    const pin = cluster({ sessions: 'pin' });
    for (const { router } of [prefer, pin]) {
      const first = router.route(ask(EASY), { sessionId: 's1' });
      expect(first.modelId).toBe('tiny');
    }
    // The next turn is hard: preferring, it moves to the big model; pinned, it stays.
    expect(prefer.router.route(ask(HARD), { sessionId: 's1' }).modelId).toBe('big');
    const stayed = pin.router.route(ask(HARD), { sessionId: 's1' });
    expect(stayed.modelId).toBe('tiny');
    expect(stayed.explanation.summary).toContain("kept on the session's node");
    expect(stayed.fallbacks.length).toBeGreaterThan(0);
    // Its node down: the session moves (and is pinned where it lands); a pinned model wins.
    pin.state.update('air', { up: false });
    const moved = pin.router.route(ask(EASY), { sessionId: 's1' });
    expect(moved.nodeId).not.toBe('air');
    pin.state.update('air', { up: true });
    expect(pin.router.route(ask(EASY), { sessionId: 's1' }).nodeId).toBe(moved.nodeId);
    expect(pin.router.route(ask(EASY, { model: 'tiny' }), { sessionId: 's1' }).modelId).toBe('tiny');
  });

  it('parallel agents of one run (routing.teamSlack): a request finishing before its siblings anyway takes the better model', () => {
    // Off by default: no team-slack term at all.
    const plain = cluster();
    plain.router.route(ask(HARD), { role: 'architect', sessionId: 'run' });
    const unslacked = plain.router.route(ask(HARD), { role: 'writer', sessionId: 'run' });
    expect(unslacked.explanation.ranked[0]?.terms['team-slack']).toBeUndefined();
    const { router, state } = cluster({ teamSlack: true });
    const MEDIUM =
      'Write a short summary of the trade-offs between optimistic and pessimistic locking in databases, with one example each.';
    const alone = router.route(ask(MEDIUM), { role: 'writer', sessionId: 'solo' });
    expect(alone.modelId).not.toBe('big');
    // The run's architect works on a hard task on the big model for several seconds...
    const architect = router.route(ask(HARD), { role: 'architect', sessionId: 'run' });
    expect(architect.modelId).toBe('big');
    state.update('ultra', { inFlight: 1 });
    // ...so its writer, in flight at the same time, gains nothing by finishing sooner.
    const writer = router.route(ask(MEDIUM), { role: 'writer', sessionId: 'run' });
    expect(writer.modelId).toBe('big');
    const slower = writer.explanation.ranked.find((c) => c.modelId !== 'big');
    expect(slower?.terms['team-slack']?.value).toBeGreaterThan(0);
    expect(slower?.terms['team-slack']?.note).toMatch(
      /the run waits ~\d+ ms for its other requests in flight/,
    );
    // Both done: nothing to wait for, the run's next request is routed on its own merits.
    state.update('ultra', { inFlight: 0 });
    void router.recordOutcome(architect.routeId, {
      success: true,
      latencyMs: 5000,
      ttftMs: 400,
      tokens: 200,
    });
    void router.recordOutcome(writer.routeId, { success: true, latencyMs: 3000, ttftMs: 400, tokens: 100 });
    const next = router.route(ask(MEDIUM), { role: 'writer', sessionId: 'run' });
    expect(next.explanation.ranked.every((c) => c.terms['team-slack']?.value === 0)).toBe(true);
  });

  it('a model not measured yet is assumed no slower than the fastest measured one its size or larger', () => {
    // Fast machines (speeds far above the tier defaults): the big model is measured, the tiny not.
    const config = BrokeConfigSchema.parse({
      nodes: [
        { id: 'ultra', url: 'http://127.0.0.1:1', models: [{ id: 'big' }] },
        { id: 'air', url: 'http://127.0.0.1:3', models: [{ id: 'tiny' }] },
      ],
      models: [
        { id: 'big', parameters: 70, tier: 'large' },
        { id: 'tiny', parameters: 3, tier: 'small' },
      ],
      routing: { explorationRate: 0 },
      store: { kind: 'memory' },
    });
    const state = new ClusterState(config.nodes);
    state.seedPerf('ultra', 'big', { ttftMs: 40, decodeTokensPerSec: 900 });
    const router = new Router({ config, cluster: state, seed: 7 });
    const d = router.route(ask(EASY, { model: 'broke-latency' }));
    // The tier default (300 ms, 60 tokens/s) would make the tiny model look 10× slower than the big
    // one, and a latency profile would never try it.
    const tiny = d.explanation.ranked.find((c) => c.modelId === 'tiny');
    expect(tiny?.terms['run-time']?.note).toContain('not measured yet');
    expect(tiny?.terms['run-time']?.value).toBeLessThanOrEqual(
      d.explanation.ranked.find((c) => c.modelId === 'big')?.terms['run-time']?.value ?? 0,
    );
  });

  it('learns typical reply lengths: the time prediction follows them, capped by max_tokens', () => {
    const { router } = cluster();
    const before = router.route(ask('Summarize: the meeting moved to Tuesday.'), { role: 'writer' });
    expect(before.explanation.objective.expectedOutputTokens).toBe(256);
    for (let i = 0; i < 20; i++) {
      const d = router.route(ask('Summarize: the meeting moved to Tuesday.'), { role: 'writer' });
      void router.recordOutcome(d.routeId, { success: true, latencyMs: 100, ttftMs: 20, tokens: 40 });
    }
    const after = router.route(ask('Summarize: the meeting moved to Tuesday.'), { role: 'writer' });
    expect(after.explanation.objective.expectedOutputTokens).toBeLessThan(60);
    const capped = router.route(ask('Summarize: x', { maxTokens: 10 }), { role: 'writer' });
    expect(capped.explanation.objective.expectedOutputTokens).toBe(10);
  });

  it('a factor added in one place changes routing without touching the pipeline', () => {
    const config = cluster().config;
    const state = new ClusterState(config.nodes);
    // A site rule as a factor: the big machines are in maintenance, an hour's delay there.
    const maintenance: Factor = {
      name: 'maintenance',
      adds: 'time',
      estimate(idx, count, ctx, out) {
        for (let k = 0; k < count; k++) out[k] = ctx.table.nodeOf[idx[k] as number] === 2 ? 0 : 3_600_000;
      },
    };
    const router = new Router({ config, cluster: state, seed: 1, factors: [maintenance] });
    const decision = router.route(ask(HARD));
    expect(decision.nodeId).toBe('air');
    expect(decision.explanation.ranked[0]?.terms.maintenance).toEqual({ adds: 'time', value: 0 });
    expect(decision.explanation.ranked[1]?.terms.maintenance).toEqual({ adds: 'time', value: 3_600_000 });
  });
});

describe('learning from feedback', () => {
  /** Route `text` for `ctx` until `model` served it `times`, scoring each of its answers `score`. */
  async function judge(
    router: Router,
    text: string,
    ctx: { role?: string; team?: string },
    model: string,
    score: number,
    times: number,
  ) {
    for (let i = 0; i < times; i++) {
      const d = router.route(ask(text, { model }), ctx);
      await router.feedback(d.routeId, { score });
    }
  }

  it('keeps quality per difficulty: bad hard answers from a small model do not condemn its easy ones', async () => {
    const { router } = cluster();
    const easyBefore =
      router.route(ask(EASY)).explanation.ranked.find((c) => c.modelId === 'tiny')?.quality ?? 0;
    await judge(router, HARD, { role: 'architect' }, 'tiny', 0, 10);
    const hard = router
      .route(ask(HARD), { role: 'architect' })
      .explanation.ranked.find((c) => c.modelId === 'tiny');
    expect(hard?.quality).toBeLessThan(0.15);
    const easyAfter =
      router.route(ask(EASY)).explanation.ranked.find((c) => c.modelId === 'tiny')?.quality ?? 0;
    expect(easyAfter).toBeCloseTo(easyBefore, 5);
  });

  it("pools evidence across teams, and a role's own evidence pulls harder for that role", async () => {
    const { router } = cluster();
    const text = 'Write a haiku about autumn leaves.';
    const before = router
      .route(ask(text), { team: 'b', role: 'poet' })
      .explanation.ranked.find((c) => c.modelId === 'mid');
    await judge(router, text, { team: 'a', role: 'poet' }, 'mid', 0.1, 8);
    const otherTeam = router
      .route(ask(text), { team: 'b', role: 'poet' })
      .explanation.ranked.find((c) => c.modelId === 'mid');
    const sameTeam = router
      .route(ask(text), { team: 'a', role: 'poet' })
      .explanation.ranked.find((c) => c.modelId === 'mid');
    expect(otherTeam?.quality).toBeLessThan((before?.quality ?? 0) - 0.2);
    expect(sameTeam?.quality).toBeLessThan(otherTeam?.quality ?? 0);
  });

  it('a model that got worse loses its work within tens of judgements, not hundreds', async () => {
    const { router } = cluster();
    await judge(router, HARD, { role: 'architect' }, 'big', 0.95, 200);
    expect(router.route(ask(HARD), { role: 'architect' }).modelId).toBe('big');
    let moved = -1;
    for (let i = 0; i < 50 && moved < 0; i++) {
      await judge(router, HARD, { role: 'architect' }, 'big', 0.1, 1);
      if (router.route(ask(HARD), { role: 'architect' }).modelId !== 'big') moved = i + 1;
    }
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual(30);
  });

  it('explores only where uncertainty could change the decision: a greeting never goes to the slow 70B', () => {
    const { router } = cluster({ explorationRate: 0.5 });
    for (let i = 0; i < 300; i++) expect(router.route(ask(EASY)).modelId).not.toBe('big');
    // Close calls do get explored: on a modest task the two smaller models' predictions are near.
    let explored = 0;
    for (let i = 0; i < 300; i++) if (router.route(ask(MODEST)).explanation.explored) explored++;
    expect(explored).toBeGreaterThan(0);
  });
  it('assumes an unmeasured small model is faster than a measured large one, so a latency profile tries it', () => {
    const config = BrokeConfigSchema.parse({
      nodes: [
        { id: 'ultra', url: 'http://127.0.0.1:1', models: [{ id: 'big' }], maxConcurrency: 4 },
        { id: 'max', url: 'http://127.0.0.1:2', models: [{ id: 'small' }], maxConcurrency: 4 },
      ],
      models: [
        { id: 'big', parameters: 70, tier: 'large' },
        { id: 'small', parameters: 7, tier: 'small' },
      ],
      routing: { explorationRate: 0 },
      store: { kind: 'memory' },
    });
    const state = new ClusterState(config.nodes);
    // Only the 70B has served yet, far faster than the built-in defaults of any tier.
    state.seedPerf('ultra', 'big', { ttftMs: 80, decodeTokensPerSec: 240 });
    const router = new Router({ config, cluster: state, seed: 7 });
    const fast = router.route(ask(MODEST, { model: 'broke-latency' }), { role: 'writer' });
    expect(fast.modelId).toBe('small');
    const [small, big] = ['small', 'big'].map((id) => fast.explanation.ranked.find((c) => c.modelId === id));
    expect(small?.timeMs).toBeLessThan((big?.timeMs ?? 0) / 2);
    // Once measured slow (a weak machine), the prior is gone: the measured 70B wins on time too.
    state.seedPerf('max', 'small', { ttftMs: 900, decodeTokensPerSec: 20 });
    const later = new Router({ config, cluster: state, seed: 7 });
    expect(later.route(ask(MODEST, { model: 'broke-latency' }), { role: 'writer' }).modelId).toBe('big');
  });
  it('answers nobody judged do not vouch for quality: a busy fast model does not overtake better ones', async () => {
    const { router } = cluster();
    const underQuality = () => router.route(ask(MODEST, { model: 'broke-quality' }), { role: 'writer' });
    const qualityOf = (modelId: string) =>
      underQuality().explanation.ranked.find((c) => c.modelId === modelId)?.quality;
    const before = new Map(['tiny', 'mid', 'big'].map((id) => [id, qualityOf(id)]));
    const choiceBefore = underQuality().modelId;
    // Sixty successful answers to the same kind of prompt from the latency profile's pick, none judged.
    let served = '';
    for (let i = 0; i < 60; i++) {
      const d = router.route(ask(MODEST, { model: 'broke-latency' }), { role: 'writer' });
      served = d.modelId;
      await router.recordOutcome(d.routeId, { success: true, latencyMs: 80, ttftMs: 10, tokens: 40 });
    }
    expect(served).not.toBe(choiceBefore);
    expect(before.get(served)).toBeGreaterThan(0);
    expect(qualityOf(served)).toBeCloseTo(before.get(served) ?? 0, 6);
    expect(underQuality().modelId).toBe(choiceBefore);
  });
  it("analyses a framework's taskText instead of its template, and keeps those words out of the explanation", () => {
    const { router } = cluster();
    const template =
      'Current Task: Survey the market for e-bikes in depth: players, prices, trends.\n' +
      'This is the expected criteria for your final answer: A long market survey.\n' +
      'you MUST return the actual complete content as the final answer, not a summary.';
    const taskText =
      'Survey the market for e-bikes in depth: players, prices, trends.\nA long market survey.';
    const plain = router.route(ask(template), { role: 'engineer' });
    const withTask = router.route(ask(template), { role: 'engineer', taskText });
    expect(plain.explanation.summary).toMatch(/^summarization prompt/);
    expect(withTask.explanation.summary).not.toMatch(/^summarization prompt/);
    expect(withTask.explanation.context).toEqual({ role: 'engineer' });
  });
});
