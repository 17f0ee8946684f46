import { describe, expect, it } from 'vitest';
import type { NodeState } from '../../src/cluster/node-state.js';
import { ValidationError } from '../../src/errors.js';
import { CandidateTable } from '../../src/routing/candidate-table.js';
import {
  capabilitiesFilter,
  contextWindowFilter,
  cooldownFilter,
  healthFilter,
  memoryHeadroomFilter,
  policyPinsFilter,
  saturationFilter,
} from '../../src/routing/filters/index.js';
import { LiveTable } from '../../src/routing/live-table.js';
import type { Filter, RoutingContext } from '../../src/routing/plugin.js';
import { Removals } from '../../src/routing/removals.js';
import { Router } from '../../src/routing/router.js';
import { ask, testCluster, testConfig } from './fixtures.js';

const config = testConfig();
const table = new CandidateTable(config);

function state(id: string, patch: Partial<NodeState> = {}): NodeState {
  return {
    id,
    up: true,
    loadedModels: undefined,
    validatedModels: undefined,
    inFlight: 0,
    queued: 0,
    waiting: 0,
    queueLimit: 16,
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
    now: 1000,
    config,
    nodeStates: [state('a'), state('b')],
    perf: [],
    expectedOutputTokens: 256,
    ...patch,
  } as RoutingContext;
}

/** Runs the filter as the pipeline does (table indices, live arrays) and lists its removals. */
function removed(filter: Filter, hand: RoutingContext): string[] {
  const live = new LiveTable(table);
  live.refresh(hand.nodeStates);
  const ctx = { ...hand, table, live };
  const all = table.candidates.length;
  const idx = Int32Array.from({ length: all }, (_, i) => i);
  const sink = new Removals();
  const count = filter.filter(idx, all, ctx, sink);
  // Kept and removed split the candidates, each side in table order.
  const kept = [...idx.subarray(0, count)];
  expect([...kept, ...sink.indices].sort((a, b) => a - b)).toEqual([...Array(all).keys()]);
  expect(kept).toEqual([...kept].sort((a, b) => a - b));
  expect(sink.indices).toEqual([...sink.indices].sort((a, b) => a - b));
  return sink.indices.map((i, k) => {
    const candidate = table.candidates[i];
    return `${candidate?.modelId}@${candidate?.nodeId}: ${sink.reasonAt(k, ctx)}`;
  });
}

describe('filters', () => {
  it('health removes down nodes, unknown nodes and unvalidated models', () => {
    expect(removed(healthFilter(), ctxWith())).toEqual([]);
    const ctx = ctxWith({
      nodeStates: [state('a', { up: false }), state('b', { validatedModels: ['small'] })],
    });
    expect(removed(healthFilter(), ctx)).toEqual([
      'small@a: node down',
      'large@a: node down',
      'medium@b: model not validated on this node',
      'large@b: model not validated on this node',
    ]);
    expect(removed(healthFilter(), ctxWith({ nodeStates: [undefined, state('b')] }))).toHaveLength(2);
  });

  it('cooldown removes nodes until cooldownUntil', () => {
    const ctx = ctxWith({
      nodeStates: [state('a', { cooldownUntil: 1500 }), state('b', { cooldownUntil: 900 })],
    });
    expect(removed(cooldownFilter(), ctx)).toEqual([
      'small@a: cooling down for 500 ms',
      'large@a: cooling down for 500 ms',
    ]);
  });

  it('context-window keeps only models whose window fits prompt (+margin) and reply', () => {
    const ctx = ctxWith({
      analysis: { complexity: 0.5, taskType: 'chat', promptTokens: 14_000 },
      expectedOutputTokens: 1000,
    });
    expect(removed(contextWindowFilter(), ctx).map((line) => line.split(':')[0])).toEqual([
      'small@a',
      'small@b',
      'medium@b',
    ]);
  });

  it('capabilities removes models lacking a required capability', () => {
    const ctx = ctxWith({ request: ask('x', { requires: ['tools'] }) });
    expect(removed(capabilitiesFilter(), ctx)).toEqual(['small@a: lacks tools', 'small@b: lacks tools']);
  });

  it('memory-headroom removes cold models that do not fit; loaded ones always pass', () => {
    const ctx = ctxWith({
      nodeStates: [
        state('a', { memory: { totalGb: 64, freeGb: 20 } }),
        state('b', { memory: { totalGb: 32 }, loadedModels: [] }),
      ],
    });
    expect(removed(memoryHeadroomFilter(), ctx)).toEqual([
      'large@a: cold model needs 40 GiB, 20 GiB free',
      'large@b: model needs 40 GiB, node has 32 GiB',
    ]);
    const warm = ctxWith({
      nodeStates: [state('a', { memory: { freeGb: 1 }, loadedModels: ['large'] }), state('b')],
    });
    expect(removed(memoryHeadroomFilter(), warm)).toEqual([]);
  });

  it('policy-pins honours a pinned model and role rule pins (ids, tiers, labels)', () => {
    expect(removed(policyPinsFilter(), ctxWith({ pinnedModel: 'medium' }))).toHaveLength(4);
    const rule = { role: 'coder', prefer: [], avoid: [], pinModels: ['large', 'small'], pinNodes: ['b'] };
    expect(removed(policyPinsFilter(), ctxWith({ rules: [rule] })).map((line) => line.split(':')[0])).toEqual(
      ['small@a', 'large@a', 'medium@b'],
    );
  });

  it('saturation keeps a busy node while its queue has room and removes it once the queue is full', () => {
    const busy = ctxWith({
      nodeStates: [state('a', { inFlight: 4, waiting: 3 }), state('b', { inFlight: 1 })],
    });
    expect(removed(saturationFilter(), busy)).toEqual([]);
    const full = ctxWith({
      nodeStates: [state('a', { inFlight: 4, waiting: 16 }), state('b', { inFlight: 1 })],
    });
    expect(removed(saturationFilter(), full)).toEqual([
      'small@a: saturated (4/4 in flight, 16 waiting)',
      'large@a: saturated (4/4 in flight, 16 waiting)',
    ]);
  });
});

describe('router errors and filter wiring', () => {
  it('throws 404 model_not_found for unknown models, 503 when filtered out, 429 when saturated', () => {
    const cluster = testCluster(config);
    const router = new Router({ config, cluster, seed: 1 });
    expect(() => router.route(ask('hi', { model: 'gpt-9' }))).toThrow(
      expect.objectContaining({ status: 404, code: 'model_not_found' }),
    );
    // No configured model has vision: the client's request, a 400.
    expect(() => router.route(ask('hi', { requires: ['vision'] }))).toThrow(
      expect.objectContaining({ status: 400, code: 'unsupported_capability' }),
    );
    // Too long for every model: the client's fault, OpenAI's 400 (SDKs retry 5xx).
    expect(() => router.route(ask('word '.repeat(200_000)))).toThrow(
      expect.objectContaining({ status: 400, code: 'context_length_exceeded' }),
    );
    cluster.update('a', { inFlight: 4 });
    cluster.update('b', { inFlight: 4 });
    // Busy but with room to wait: routed, the wait is part of the prediction.
    expect(router.route(ask('hi')).explanation.ranked[0]?.terms['queue-wait']?.value).toBeGreaterThan(0);
    cluster.update('a', { waiting: 16 });
    cluster.update('b', { waiting: 16 });
    expect(() => router.route(ask('hi'))).toThrow(
      expect.objectContaining({ status: 429, code: 'saturated' }),
    );
    cluster.update('b', { up: false });
    expect(() => router.route(ask('hi'))).toThrow(expect.objectContaining({ status: 429 }));
    cluster.update('a', { up: false });
    expect(() => router.route(ask('hi'))).toThrow(expect.objectContaining({ status: 503 }));
  });

  it('honours routing.disabled and custom filters', () => {
    const disabled = testConfig({ routing: { disabled: ['capabilities'] } });
    const router = new Router({ config: disabled, cluster: testCluster(disabled), seed: 1 });
    expect(() => router.route(ask('hi', { requires: ['vision'] }))).not.toThrow();
    // A custom filter is one object with one method, defined here and passed to the Router.
    const onlyB: Filter = {
      name: 'only-b',
      filter(idx, count, ctx, removed) {
        let kept = 0;
        for (let k = 0; k < count; k++) {
          const i = idx[k] as number;
          if (ctx.table.candidates[i]?.nodeId === 'b') idx[kept++] = i;
          else removed.add(i, 'not b');
        }
        return kept;
      },
    };
    const custom = new Router({ config, cluster: testCluster(config), filters: [onlyB], seed: 1 });
    const decision = custom.route(ask('hi'));
    expect(decision.nodeId).toBe('b');
    const verdict = decision.explanation.filters.find((f) => f.filter === 'only-b');
    expect(verdict?.removed.map((r) => `${r.modelId}@${r.nodeId}: ${r.reason}`)).toEqual([
      'small@a: not b',
      'large@a: not b',
    ]);
  });

  it('rejects unknown profiles in config', () => {
    // The config schema rejects it first (test/config/strict.test.ts); the Router still checks a
    // config built without the schema.
    const good = testConfig();
    const bad = { ...good, routing: { ...good.routing, defaultProfile: 'nope' } };
    expect(() => new Router({ config: bad, cluster: testCluster(bad) })).toThrow(ValidationError);
  });
});
