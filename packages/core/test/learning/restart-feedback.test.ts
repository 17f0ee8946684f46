import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { BrokeConfigSchema } from '../../src/config/schema.js';
import { Router } from '../../src/routing/router.js';
import { SqliteStatsStore } from '../../src/stores/index.js';

/** Issue 14: feedback survives a restart (the route is rebuilt from the store's outcome log). */
const config = BrokeConfigSchema.parse({
  nodes: [{ id: 'a', url: 'http://127.0.0.1:9', models: [{ id: 'm' }] }],
  models: [{ id: 'm', tier: 'medium' }],
  routing: { seed: 1, explorationRate: 0 },
  store: { kind: 'memory' },
});
const ask = { messages: [{ role: 'user' as const, content: 'Review this function for bugs.' }] };

async function open(path: string) {
  const store = new SqliteStatsStore(path);
  const router = await Router.create({ config, cluster: new ClusterState(config.nodes), store });
  return router;
}

/** Evidence (alpha + beta) and mean of the model's statistic for the role, at its own level. */
function roleStat(router: Router) {
  const s = router.stats().find((x) => x.role === 'reviewer' && x.modelId === 'm' && x.team === '*');
  return {
    evidence: (s?.alpha ?? 0) + (s?.beta ?? 0),
    mean: (s?.alpha ?? 0) / ((s?.alpha ?? 0) + (s?.beta ?? 1)),
  };
}

describe('feedback after a restart', () => {
  it('counts once, replacing the implicit evidence, visible only to the route’s owner', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'broke-restart-')), 'stats.db');
    const first = await open(path);
    const d = first.route({ ...ask, owner: 'key-1' }, { role: 'reviewer' });
    // An implicit failure (a success carries no quality evidence): weak evidence until judged.
    await first.recordOutcome(d.routeId, { success: false, latencyMs: 100, error: 'timeout' });
    await first.close();

    const second = await open(path);
    const before = roleStat(second);
    expect(before.evidence).toBeGreaterThan(0); // the implicit failure, loaded from the store
    await expect(second.rate({ routeId: d.routeId }, { score: 1 }, undefined, 'key-2')).rejects.toMatchObject(
      {
        status: 404,
      },
    );
    expect(await second.rate({ routeId: d.routeId }, { score: 1 }, undefined, 'key-1')).toEqual([d.routeId]);
    const after = roleStat(second);
    // The implicit 0.2 came out and one judgement went in.
    expect(after.evidence).toBeCloseTo(before.evidence - 0.2 + 1, 1);
    expect(after.mean).toBeGreaterThan(before.mean);
    await expect(second.feedback('r-never-made', { score: 1 })).rejects.toMatchObject({ status: 404 });
    await second.close();

    // Rated again after another restart: it replaces the judgement, it does not add one.
    const third = await open(path);
    const beforeAgain = roleStat(third);
    await third.feedback(d.routeId, { score: 0 });
    expect(roleStat(third).evidence).toBeCloseTo(beforeAgain.evidence, 1);
    expect(roleStat(third).mean).toBeLessThan(beforeAgain.mean);
    await third.close();
  });
});
