import { describe, expect, it } from 'vitest';
import { type WarmUpInput, warmUpVerdict } from '../../src/cluster/warm-up.js';
import { BrokeConfigSchema, ClusterState } from '../../src/index.js';

const config = { minProbability: 0.7, minObservations: 3, minIntervalMs: 10_000 };

/** A node as the monitor leaves it: up, idle, with what it reports loaded. */
function input(
  over: Partial<WarmUpInput> & { loaded?: string[]; inFlight?: number; kind?: string } = {},
): WarmUpInput {
  const { loaded, inFlight, kind, ...rest } = over;
  const state = new ClusterState([]).addNode({ id: 'a', maxConcurrency: 4, memoryGb: 32 });
  state.loadedModels = loaded ?? ['writer'];
  state.inFlight = inFlight ?? 0;
  return {
    modelId: 'reviewer',
    probability: 0.9,
    seen: 5,
    node: { kind: (kind ?? 'mlx') as WarmUpInput['node']['kind'], memoryGb: 32 },
    state,
    memoryGb: 8,
    resident: undefined,
    warming: false,
    lastWarmAt: Number.NEGATIVE_INFINITY,
    now: 100_000,
    config,
    ...rest,
  };
}

describe('warmUpVerdict', () => {
  it('warms a cold model that fits on an idle node when the next role is likely', () => {
    expect(warmUpVerdict(input())).toEqual({ ok: true });
    // Multi-model servers too, and with a busy node: loading beside the others evicts nothing.
    expect(warmUpVerdict(input({ kind: 'ollama', inFlight: 2 }))).toEqual({ ok: true });
  });

  it('does not warm below the probability threshold or before enough transitions were seen', () => {
    expect(warmUpVerdict(input({ probability: 0.6 }))).toMatchObject({ ok: false, reason: 'unlikely' });
    expect(warmUpVerdict(input({ seen: 2 }))).toMatchObject({ ok: false, reason: 'unlikely' });
  });

  it('never evicts a model with requests in flight on a single-model server', () => {
    expect(warmUpVerdict(input({ inFlight: 1 }))).toMatchObject({ ok: false, reason: 'busy' });
    const waiting = input();
    (waiting.state as { waiting: number }).waiting = 1;
    expect(warmUpVerdict(waiting)).toMatchObject({ ok: false, reason: 'busy' });
    expect(warmUpVerdict(input({ warming: true }))).toMatchObject({ ok: false, reason: 'busy' });
  });

  it('respects memory headroom like the memory-headroom filter', () => {
    expect(warmUpVerdict(input({ memoryGb: 64 }))).toEqual({
      ok: false,
      reason: 'memory',
      detail: 'model needs 64 GiB, node has 32 GiB',
    });
    const tight = input();
    (tight.state as { memory: unknown }).memory = { totalGb: 32, freeGb: 8.5 };
    // 8 GiB needs 8.8 free (10% headroom).
    expect(warmUpVerdict(tight)).toMatchObject({ ok: false, reason: 'memory' });
    const critical = input();
    (critical.state as { memory: unknown }).memory = { totalGb: 32, freeGb: 20, pressure: 'critical' };
    expect(warmUpVerdict(critical)).toMatchObject({ ok: false, reason: 'memory' });
  });

  it('knows warm from the node report, or for single-model servers from what was last sent', () => {
    expect(warmUpVerdict(input({ loaded: ['reviewer'] }))).toMatchObject({ ok: false, reason: 'warm' });
    // mlx_lm.server keeps listing its start-up model after loading another one.
    expect(warmUpVerdict(input({ loaded: ['writer'], resident: 'reviewer' }))).toMatchObject({
      ok: false,
      reason: 'warm',
    });
    expect(warmUpVerdict(input({ loaded: ['reviewer'], resident: 'writer' }))).toEqual({ ok: true });
    const unknown = input({ kind: 'ollama' });
    (unknown.state as { loadedModels: unknown }).loadedModels = undefined;
    expect(warmUpVerdict(unknown)).toMatchObject({ ok: false, reason: 'unknown-warmth' });
  });

  it('skips kinds that cannot load on request, escalation nodes, down nodes, and rate-limits', () => {
    expect(warmUpVerdict(input({ kind: 'vllm' }))).toMatchObject({ ok: false, reason: 'unsupported' });
    const paid = input({ kind: 'ollama' });
    paid.node = { ...paid.node, escalation: { costPerMillionInput: 1, costPerMillionOutput: 1 } };
    expect(warmUpVerdict(paid)).toMatchObject({ ok: false, reason: 'unsupported' });
    const down = input();
    (down.state as { up: boolean }).up = false;
    expect(warmUpVerdict(down)).toMatchObject({ ok: false, reason: 'down' });
    expect(warmUpVerdict(input({ lastWarmAt: 95_000 }))).toMatchObject({ ok: false, reason: 'rate-limited' });
    expect(warmUpVerdict(input({ lastWarmAt: 90_000 }))).toEqual({ ok: true });
  });
});

describe('warmup config', () => {
  const nodes = [{ id: 'a', url: 'http://127.0.0.1:1', models: [{ id: 'm' }] }];
  it('is off unless enabled, with cautious defaults', () => {
    expect(BrokeConfigSchema.parse({ nodes }).warmup).toBeUndefined();
    expect(BrokeConfigSchema.parse({ nodes, warmup: { enabled: true } }).warmup).toEqual({
      enabled: true,
      minProbability: 0.7,
      minObservations: 5,
      minIntervalMs: 10_000,
      timeoutMs: 120_000,
    });
  });
  it('rejects a typo and an out-of-range threshold with the field named', () => {
    expect(() => BrokeConfigSchema.parse({ nodes, warmup: { enabeld: true } })).toThrow(
      /did you mean .{0,2}enabled/,
    );
    expect(() => BrokeConfigSchema.parse({ nodes, warmup: { minProbability: 2 } })).toThrow(/minProbability/);
  });
});
