import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { type BrokeConfigInput, BrokeConfigSchema } from '../../src/config/schema.js';
import { Router } from '../../src/routing/router.js';
import type { RouteDecision } from '../../src/routing/types.js';
import { SqliteStatsStore } from '../../src/stores/sqlite-stats-store.js';
import { ask } from './fixtures.js';

/** A local Mac serving a small model and a paid endpoint serving a large one. */
function setup(patch: Partial<BrokeConfigInput> = {}, store?: SqliteStatsStore) {
  const config = BrokeConfigSchema.parse({
    nodes: [
      { id: 'mac', url: 'http://127.0.0.1:1', models: [{ id: 'tiny' }] },
      {
        id: 'cloud',
        url: 'http://127.0.0.1:2',
        kind: 'openai',
        models: [{ id: 'gpt' }],
        escalation: { costPerMillionInput: 1, costPerMillionOutput: 2 },
      },
    ],
    models: [
      { id: 'tiny', parameters: 3, tier: 'small' },
      { id: 'gpt', parameters: 400, tier: 'large' },
    ],
    routing: { explorationRate: 0 },
    escalation: { budgetPerDay: { default: 0.01, teams: { rich: 1 } } },
    store: { kind: 'memory' },
    ...patch,
  });
  const cluster = new ClusterState(config.nodes);
  return {
    config,
    cluster,
    store,
    router: new Router({ config, cluster, seed: 1, ...(store ? { store } : {}) }),
  };
}

const PROMPT = 'Write a short greeting for the team.';

function escalationVerdict(decision: RouteDecision): string[] {
  return (decision.explanation.filters.find((f) => f.filter === 'escalation')?.removed ?? []).map(
    (r) => `${r.modelId}@${r.nodeId}: ${r.reason}`,
  );
}

/** Rates the local model 0 for this team and role until the router escalates; the escalated route. */
async function makeRed(router: Router, team: string): Promise<RouteDecision> {
  for (let i = 0; i < 40; i++) {
    const decision = router.route(ask(PROMPT), { team, role: 'writer' });
    if (decision.nodeId === 'cloud') return decision;
    await router.feedback(decision.routeId, { score: 0 });
  }
  throw new Error('never escalated');
}

describe('escalation filter', () => {
  it('keeps the paid endpoint out while the local model is not predicted red, and says so', () => {
    const { router } = setup();
    const decision = router.route(ask(PROMPT), { team: 'rich', role: 'writer' });
    expect(decision.nodeId).toBe('mac');
    expect(decision.fallbacks).toEqual([]);
    expect(escalationVerdict(decision)).toEqual([
      expect.stringMatching(
        /^gpt@cloud: not escalated: local tiny@mac is predicted (yellow|orange|green) \(quality 0\.\d\d\), not red$/,
      ),
    ]);
  });

  it('escalates once the local model is predicted red, removing the local candidate with the reason', async () => {
    const { router } = setup();
    const decision = await makeRed(router, 'rich');
    expect(decision.explanation.temperature).toBeDefined();
    expect(escalationVerdict(decision)).toEqual([
      expect.stringMatching(
        /^tiny@mac: escalated: every local candidate is predicted red \(best tiny@mac, quality 0\.\d\d\); team rich has 1 of 1 left today$/,
      ),
    ]);
    // Another team has learned nothing bad about tiny: it stays local.
    expect(router.route(ask(PROMPT), { team: 'other', role: 'writer' }).nodeId).toBe('mac');
  });

  it('escalates when no local candidate can serve, within the budget', () => {
    const { router, cluster } = setup();
    cluster.update('mac', { up: false });
    const decision = router.route(ask(PROMPT), { team: 'rich' });
    expect(decision.nodeId).toBe('cloud');
    expect(escalationVerdict(decision)).toEqual([]);
  });

  it('charges the response usage to the team, stops at the budget with a reason, and reports spend', async () => {
    const { router, cluster } = setup();
    const first = await makeRed(router, 'poor');
    // 7000 prompt + 2000 completion tokens at 1 and 2 per million: 0.011, over the 0.01 default.
    await router.recordOutcome(first.routeId, { success: true, tokens: 2000, promptTokens: 7000 });
    expect(router.escalationSpend()?.teams).toContainEqual({
      team: 'poor',
      budget: 0.01,
      spent: 0.011,
      reserved: 0,
    });
    const after = router.route(ask(PROMPT), { team: 'poor', role: 'writer' });
    expect(after.nodeId).toBe('mac');
    expect(escalationVerdict(after)).toEqual([
      expect.stringMatching(
        /^gpt@cloud: not escalated: over budget \(team poor has 0 of 0\.01 left today; this request ~0\.\d+\)$/,
      ),
    ]);
    // Over budget and nothing local: a clear no-route error, not a paid request.
    cluster.update('mac', { up: false });
    expect(() => router.route(ask(PROMPT), { team: 'poor', role: 'writer' })).toThrow(/over budget/);
    // A team with its own budget still escalates.
    expect(router.route(ask(PROMPT), { team: 'rich', role: 'writer' }).nodeId).toBe('cloud');
  });

  it('holds an escalated route’s estimate against the budget until its outcome', () => {
    const { router, cluster } = setup({ escalation: { budgetPerDay: { default: 0, teams: { t: 0.0007 } } } });
    cluster.update('mac', { up: false });
    const first = router.route(ask(PROMPT), { team: 't' });
    expect(first.nodeId).toBe('cloud');
    const held = router.escalationSpend()?.teams.find((t) => t.team === 't')?.reserved ?? 0;
    expect(held).toBeGreaterThan(0.0007 / 2);
    // The second concurrent request would go over: refused while the first is in flight.
    expect(() => router.route(ask(PROMPT), { team: 't' })).toThrow(/over budget/);
  });

  it('keeps spend across a restart (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broke-spend-'));
    try {
      const path = join(dir, 'stats.db');
      const one = setup({}, new SqliteStatsStore(path));
      one.cluster.update('mac', { up: false });
      const decision = one.router.route(ask(PROMPT), { team: 'rich' });
      await one.router.recordOutcome(decision.routeId, { success: true, tokens: 100, promptTokens: 100 });
      await one.router.close();
      const config = one.config;
      const again = await Router.create({
        config,
        cluster: new ClusterState(config.nodes),
        store: new SqliteStatsStore(path),
      });
      expect(again.escalationSpend()?.teams).toContainEqual({
        team: 'rich',
        budget: 1,
        spent: 0.0003,
        reserved: 0,
      });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('costs nothing without escalation nodes, and a paid node without a budget is a config error', () => {
    const { router } = setup({
      nodes: [{ id: 'mac', url: 'http://127.0.0.1:1', models: [{ id: 'tiny' }] }],
      escalation: undefined,
    });
    expect(router.escalationSpend()).toBeUndefined();
    expect(router.route(ask(PROMPT)).explanation.filters).toEqual([]);
    expect(() =>
      BrokeConfigSchema.parse({
        nodes: [
          {
            id: 'cloud',
            url: 'http://127.0.0.1:2',
            models: [{ id: 'gpt' }],
            escalation: { costPerMillionInput: 1, costPerMillionOutput: 1 },
          },
        ],
      }),
    ).toThrow(/escalation node: set escalation.budgetPerDay/);
  });
});
