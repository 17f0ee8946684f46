import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { macCluster } from '../../src/simulation/hardware.js';
import { bestSinglePolicy, handMapPolicy } from '../../src/simulation/policies.js';
import { runPlan } from '../../src/simulation/run-policies.js';
import { simulate } from '../../src/simulation/simulator.js';
import { generateWorkload } from '../../src/simulation/workload.js';
import { cli, ensureBuilt } from '../cli/helpers.js';

const profiles = macCluster();
const largest = profiles.reduce((a, b) => (a.model.parameters >= b.model.parameters ? a : b));
const workload = generateWorkload({ seed: 11, requests: 120 });
const warmup = generateWorkload({ seed: 12, requests: 40, idPrefix: 'w' });
const plan = { nodes: 4, agents: 20, requests: 200, warmup: 40, seed: 5, speedup: 20 };

describe('discrete-event simulator', () => {
  it('is deterministic: the same plan gives the same results', () => {
    const a = runPlan({ ...plan, policies: ['broke-balanced', 'random'] }).map((r) => r.summary);
    const b = runPlan({ ...plan, policies: ['broke-balanced', 'random'] }).map((r) => r.summary);
    expect(a).toEqual(b);
  });

  it('serves every request once, and baselines do what they say', () => {
    const single = simulate({
      profiles,
      policy: { kind: 'baseline', policy: bestSinglePolicy() },
      workload,
      judgeSeed: 1,
    });
    expect(single.records).toHaveLength(workload.requests.length);
    expect(new Set(single.records.map((r) => r.requestId)).size).toBe(workload.requests.length);
    expect(new Set(single.records.map((r) => r.nodeId))).toEqual(new Set([largest.id]));
    const map = simulate({
      profiles,
      policy: { kind: 'baseline', policy: handMapPolicy() },
      workload,
      judgeSeed: 1,
    });
    for (const r of map.records.filter((x) => x.role === 'code_reviewer'))
      expect(r.modelId).toBe(largest.model.id);
    // One slot-limited queue per node: waiting shows up as latency above the service time.
    expect(Math.max(...single.records.map((r) => r.latencySec))).toBeGreaterThan(
      Math.min(...single.records.map((r) => r.latencySec)) * 5,
    );
  });

  it("BROKE's profiles trade speed for quality in order: latency fastest, quality best", () => {
    const runs = runPlan({ ...plan, policies: ['broke-latency', 'broke-balanced', 'broke-quality'] });
    const [latency, balanced, quality] = runs.map((r) => r.summary);
    expect(latency?.makespanSec).toBeLessThan(balanced?.makespanSec ?? 0);
    expect(balanced?.makespanSec).toBeLessThan(quality?.makespanSec ?? 0);
    expect(latency?.meanQuality).toBeLessThan(balanced?.meanQuality ?? 0);
    expect(balanced?.meanQuality).toBeLessThan(quality?.meanQuality ?? 0);
    expect(quality?.hardToLarge).toBeGreaterThan(latency?.hardToLarge ?? 1);
  });

  it('a model that got much worse under the same name loses its hard work after the swap', () => {
    const long = generateWorkload({ seed: 21, requests: 400 });
    const result = simulate({
      profiles,
      policy: { kind: 'broke', model: 'broke-quality' },
      workload: long,
      warmup,
      judgeSeed: 3,
      swap: { modelId: largest.model.id, afterJudged: 150 },
    });
    const share = (from: number, to: number) => {
      const window = result.records.filter(
        (r) => r.judgedIndex >= from && r.judgedIndex < to && r.difficultyClass !== 'easy',
      );
      return window.filter((r) => r.modelId === largest.model.id).length / Math.max(1, window.length);
    };
    const before = share(50, 150);
    expect(before).toBeGreaterThan(0.3);
    expect(share(200, 400)).toBeLessThan(before / 2);
  });
});

describe('lockstep teams', () => {
  it("no agent of a team starts its next request before the team's current ones are all answered", () => {
    const profiles = macCluster({ speedup: 20 });
    const workload = generateWorkload({ seed: 3, teams: 2, agentsPerTeam: 4, requests: 48 });
    const turnOf = new Map(workload.requests.map((r) => [r.id, { team: r.team, turn: r.turn }]));
    for (const policy of [
      { kind: 'baseline' as const, policy: handMapPolicy() },
      { kind: 'broke' as const, model: 'broke-auto', seed: 3 },
    ]) {
      const lockstep = simulate({ profiles, policy, workload, judgeSeed: 3, lockstep: true });
      expect(lockstep.records).toHaveLength(48);
      // Answers come in team step order: every answer of turn j before any of turn j + 1.
      const lastOfTurn = new Map<string, number>();
      const firstOfTurn = new Map<string, number>();
      for (const r of lockstep.records) {
        const { team, turn } = turnOf.get(r.requestId) as { team: string; turn: number };
        const key = `${team}/${turn}`;
        lastOfTurn.set(key, Math.max(lastOfTurn.get(key) ?? -1, r.judgedIndex));
        firstOfTurn.set(key, Math.min(firstOfTurn.get(key) ?? Number.POSITIVE_INFINITY, r.judgedIndex));
      }
      for (const [key, last] of lastOfTurn) {
        const [team, turn] = key.split('/') as [string, string];
        const next = firstOfTurn.get(`${team}/${Number(turn) + 1}`);
        if (next !== undefined) expect(next).toBeGreaterThan(last);
      }
    }
  });
});

describe('broke-cluster simulate', () => {
  beforeAll(() => ensureBuilt());

  it('prints the table, writes the Markdown report whole, and rejects bad input with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broke-sim-'));
    const out = join(dir, 'sim.md');
    const ok = await cli([
      'simulate',
      '--requests',
      '60',
      '--policies',
      'broke-balanced,least-busy',
      '-o',
      out,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/broke-balanced\s+\d+\.\d/);
    expect(readFileSync(out, 'utf8')).toMatch(/\| least-busy \| \d+\.\d \|/);
    // docs/cli.md's swap example, on a short run.
    const swapped = await cli([
      'simulate',
      '--requests',
      '30',
      '--policies',
      'broke-quality',
      '--swap',
      'llama-3.3-70b-q4@10',
    ]);
    expect(swapped.code, swapped.stderr).toBe(0);
    const json = await cli(['--json', 'simulate', '--requests', '30', '--policies', 'random']);
    expect(JSON.parse(json.stdout).results[0]).toMatchObject({ policy: 'random', requests: 30 });
    for (const bad of [
      ['--policies', 'nope'],
      ['--nodes', '0'],
      ['--speedup', '-1'],
      ['--swap', 'x'],
    ]) {
      const r = await cli(['simulate', ...bad, '-o', join(dir, 'bad.md')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
      expect(existsSync(join(dir, 'bad.md'))).toBe(false);
    }
  });
});
