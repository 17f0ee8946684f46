import { describe, expect, it } from 'vitest';
import {
  buildCluster,
  ClusterProfileSchema,
  effectiveDecodeRate,
  generateWorkload,
  type HardwareProfile,
  judge,
  MAC_PRESETS,
  macCluster,
  NodeQueue,
  oracleQuality,
  outputTable,
  promptHash,
  promptKey,
  Rng,
  ROLES,
  serviceTime,
  tokensOutAt,
} from '../../src/simulation/index.js';

const node: HardwareProfile = {
  id: 'n1',
  chip: 'test',
  model: { id: 'm', parameters: 7, tier: 'small', contextLength: 4096 },
  prefillTokensPerSec: 1000,
  decodeTokensPerSec: 100,
  slots: 2,
  batchSlowdown: 0.25,
  memoryGb: 16,
};

describe('service-time rule', () => {
  it('is prefill plus output at the decode rate fixed at the start', () => {
    const alone = serviceTime(node, { promptTokens: 500, outputTokens: 200 }, 1);
    expect(alone.prefillSec).toBeCloseTo(0.5);
    expect(alone.decodeRate).toBeCloseTo(100);
    expect(alone.totalSec).toBeCloseTo(0.5 + 2);
    expect(alone.tokenIntervalSec).toBeCloseTo(0.01);
    expect(alone.ttftSec).toBeCloseTo(0.51);
    // Two at once: each decodes 1.25× slower.
    const shared = serviceTime(node, { promptTokens: 500, outputTokens: 200 }, 2);
    expect(shared.decodeRate).toBeCloseTo(80);
    expect(shared.totalSec).toBeCloseTo(0.5 + 2.5);
    expect(effectiveDecodeRate(node, 3)).toBeCloseTo(100 / 1.5);
  });

  it('counts tokens out over time', () => {
    const t = serviceTime(node, { promptTokens: 100, outputTokens: 10 }, 1);
    expect(tokensOutAt(t, 10, 0)).toBe(0);
    expect(tokensOutAt(t, 10, 0.1 + 0.01)).toBe(1);
    expect(tokensOutAt(t, 10, 0.1 + 0.055)).toBe(5);
    expect(tokensOutAt(t, 10, t.totalSec)).toBe(10);
  });

  it('serves at most `slots` at once and queues the rest FIFO', () => {
    const q = new NodeQueue<string>(node);
    const demand = { promptTokens: 10, outputTokens: 10 };
    expect(q.arrive('a', demand).map((s) => s.job)).toEqual(['a']);
    const b = q.arrive('b', demand);
    expect(b.map((s) => s.job)).toEqual(['b']);
    expect(b[0]?.time.decodeRate).toBeCloseTo(80); // second in service: rate fixed with 2 active
    expect(q.arrive('c', demand)).toEqual([]);
    expect(q.arrive('d', demand)).toEqual([]);
    expect(q.arrive('e', demand)).toEqual([]);
    expect(q.active).toBe(2);
    expect(q.queued).toBe(3);
    expect(q.cancelWaiting('d')).toBe(true);
    const next = q.finish();
    expect(next.map((s) => s.job)).toEqual(['c']);
    expect(next[0]?.time.decodeRate).toBeCloseTo(80);
    expect(q.finish().map((s) => s.job)).toEqual(['e']);
    expect(q.finish()).toEqual([]);
    expect(q.finish()).toEqual([]);
    expect(q.active).toBe(0);
    expect(() => q.finish()).toThrow();
  });
});

describe('hardware profiles', () => {
  it('presets validate and keep their ratios when sped up', () => {
    expect(() => ClusterProfileSchema.parse(MAC_PRESETS)).not.toThrow();
    const fast = macCluster({ speedup: 10 });
    for (const [i, p] of fast.entries()) {
      const real = MAC_PRESETS[i] as HardwareProfile;
      expect(p.decodeTokensPerSec).toBeCloseTo(real.decodeTokensPerSec * 10);
      expect(p.prefillTokensPerSec).toBeCloseTo(real.prefillTokensPerSec * 10);
      expect(p.slots).toBe(real.slots);
    }
    expect(new Set(fast.map((p) => p.model.tier))).toEqual(new Set(['small', 'medium', 'large']));
  });

  it('builds large clusters with distinct ids following the mix', () => {
    const c = buildCluster(1000);
    expect(new Set(c.map((p) => p.id)).size).toBe(1000);
    const ultra = c.filter((p) => p.id.startsWith('studio-ultra')).length;
    expect(ultra).toBe(250);
    const mixed = buildCluster(10, { mix: { 'studio-ultra': 1, 'mbp-m3pro': 4 } });
    expect(mixed.filter((p) => p.id.startsWith('studio-ultra')).length).toBe(2);
    expect(mixed.filter((p) => p.id.startsWith('mbp-m3pro')).length).toBe(8);
    expect(mixed.slice(0, 5).some((p) => p.id.startsWith('studio-ultra'))).toBe(true);
    expect(() => ClusterProfileSchema.parse(c)).not.toThrow();
  });
});

describe('workload', () => {
  it('is the same for the same seed and different for another', () => {
    const a = generateWorkload({ seed: 7, requests: 120 });
    const b = generateWorkload({ seed: 7, requests: 120 });
    const c = generateWorkload({ seed: 8, requests: 120 });
    expect(b).toEqual(a);
    expect(c.requests.map((r) => r.messages[1]?.content)).not.toEqual(
      a.requests.map((r) => r.messages[1]?.content),
    );
  });

  it('has 20 agents in 4 teams with several roles, closed-loop sequences per agent', () => {
    const w = generateWorkload({ seed: 1 });
    expect(w.agents).toHaveLength(20);
    expect(new Set(w.agents.map((a) => a.team)).size).toBe(4);
    expect(new Set(w.agents.map((a) => a.role))).toEqual(new Set(ROLES));
    expect(w.requests).toHaveLength(300);
    for (const a of w.agents) {
      const mine = w.byAgent[a.id] ?? [];
      expect(mine.length).toBe(15);
      expect(mine.map((r) => r.turn)).toEqual(mine.map((_, i) => i));
      expect(mine.every((r) => r.role === a.role && r.team === a.team && r.session === a.session)).toBe(true);
    }
  });

  it('mixes difficulty about a third each, with lengths that follow the task', () => {
    const w = generateWorkload({ seed: 3, requests: 600 });
    const share = (c: string) => w.requests.filter((r) => r.difficultyClass === c).length / w.requests.length;
    for (const c of ['easy', 'medium', 'hard']) expect(Math.abs(share(c) - 1 / 3)).toBeLessThan(0.08);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const out = (c: string) =>
      mean(w.requests.filter((r) => r.difficultyClass === c).map((r) => r.outputTokens));
    expect(out('easy')).toBeLessThan(out('medium'));
    expect(out('medium')).toBeLessThan(out('hard'));
    for (const r of w.requests) {
      const [lo, hi] = { easy: [0, 1 / 3], medium: [1 / 3, 2 / 3], hard: [2 / 3, 1] }[r.difficultyClass] as [
        number,
        number,
      ];
      expect(r.difficulty).toBeGreaterThanOrEqual(lo);
      expect(r.difficulty).toBeLessThanOrEqual(hi);
      expect(r.outputTokens).toBeGreaterThan(0);
      expect(r.messages[0]?.content).toMatch(/^You are a/);
    }
    // Easy prompts read short, hard ones long; summaries of pasted text are the longest prompts.
    const words = (c: string) =>
      mean(w.requests.filter((r) => r.difficultyClass === c).map((r) => r.promptTokens));
    expect(words('easy') * 3).toBeLessThan(words('hard'));
    const longest = [...w.requests].sort((a, b) => b.promptTokens - a.promptTokens)[0];
    expect(longest?.promptTokens).toBeGreaterThan(800);
    // Roles differ in what they ask.
    const hardShare = (role: string) => {
      const mine = w.requests.filter((r) => r.role === role);
      return mine.filter((r) => r.difficultyClass === 'hard').length / mine.length;
    };
    expect(hardShare('architect')).toBeGreaterThan(hardShare('support') + 0.3);
  });

  it('rarely repeats a prompt, and the length table answers for every request', () => {
    const w = generateWorkload({ seed: 11 });
    const texts = new Set(w.requests.map((r) => r.messages[1]?.content));
    expect(texts.size).toBeGreaterThan(0.8 * w.requests.length);
    const table = outputTable(w);
    for (const r of w.requests) expect(table[promptHash(promptKey(r.messages))]).toBe(r.outputTokens);
  });
});

describe('oracle and judge', () => {
  const sizes = [3, 7, 14, 30, 70];
  const ds = Array.from({ length: 21 }, (_, i) => i / 20);

  it('never rises with difficulty and never falls with size', () => {
    for (const p of sizes)
      for (let i = 1; i < ds.length; i++)
        expect(oracleQuality({ parameters: p }, ds[i] as number)).toBeLessThanOrEqual(
          oracleQuality({ parameters: p }, ds[i - 1] as number) + 1e-12,
        );
    for (const d of ds)
      for (let i = 1; i < sizes.length; i++)
        expect(oracleQuality({ parameters: sizes[i] as number }, d)).toBeGreaterThanOrEqual(
          oracleQuality({ parameters: sizes[i - 1] as number }, d) - 1e-12,
        );
  });

  it('matches the documented anchors', () => {
    expect(oracleQuality({ parameters: 3 }, 1 / 6)).toBeCloseTo(0.8);
    expect(oracleQuality({ parameters: 3 }, 5 / 6)).toBeCloseTo(0.2);
    expect(oracleQuality({ parameters: 70 }, 0.5)).toBeCloseTo(0.9);
    expect(oracleQuality({ parameters: 70 }, 5 / 6)).toBeCloseTo(0.85);
  });

  it('a weakened model is much worse than any normal one', () => {
    for (const d of ds)
      expect(oracleQuality({ parameters: 70, weakened: true }, d)).toBeLessThan(
        oracleQuality({ parameters: 3 }, d) - 0.05,
      );
  });

  it('judges deterministically per seed, near the oracle, within 0..1', () => {
    const j = judge(5);
    const input = { requestId: 'r1', difficulty: 0.9, model: { id: 'm', parameters: 70 } };
    expect(j(input)).toBe(judge(5)(input));
    const scores = Array.from({ length: 400 }, (_, i) => j({ ...input, requestId: `r${i}` }));
    const mean = scores.reduce((s, x) => s + x, 0) / scores.length;
    expect(Math.abs(mean - oracleQuality({ parameters: 70 }, 0.9))).toBeLessThan(0.02);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(new Set(scores).size).toBeGreaterThan(300);
  });

  it('Rng sub-streams are reproducible', () => {
    const a = Rng.derive(1, 'x', 2);
    const b = Rng.derive(1, 'x', 2);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });
});
