import { afterEach, describe, expect, it } from 'vitest';
import { detectServer } from '../../src/cli/discovery.js';
import { createDriver } from '../../src/drivers/factory.js';
import { serverModelFacts } from '../../src/model-facts/server-reported.js';
import { type FixtureServer, type Routes, serveFixtures } from './fixtures.js';
import { VLLM_DEAD, VLLM_MODEL, VLLM_NO_METRICS, VLLM_V0, VLLM_V1_DP2 } from './vllm-fixtures.js';

// CONTRACT TESTS for what BROKE reads from vLLM, over shapes reconstructed from vLLM's source for
// its V0 and V1 engines (vllm-fixtures.ts says where each comes from); not recordings.

let srv: FixtureServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

async function driverFor(routes: Routes) {
  srv = await serveFixtures(routes);
  return createDriver({
    id: 'v',
    url: srv.url,
    kind: 'vllm',
    models: [{ id: 'qwen', servedName: VLLM_MODEL }],
  });
}

describe('contract: what the vLLM driver reads', () => {
  it('V0 engine: waiting, running and gpu_cache_usage_perc', async () => {
    const d = await driverFor(VLLM_V0);
    expect(d.observes).toMatchObject({ loadedModels: true, queueDepth: true });
    expect(await d.metrics()).toEqual({
      loadedModels: [VLLM_MODEL],
      queued: 5,
      running: 3,
      kvCacheUsage: 0.875,
    });
  });

  it('V1 engine with two data-parallel engines: queues summed, KV cache of the fullest engine', async () => {
    const d = await driverFor(VLLM_V1_DP2);
    expect(await d.metrics()).toEqual({
      loadedModels: [VLLM_MODEL],
      queued: 2,
      running: 14,
      kvCacheUsage: 0.61,
    });
  });

  it('no reachable /metrics: models only, no invented queue', async () => {
    const d = await driverFor(VLLM_NO_METRICS);
    expect(await d.metrics()).toEqual({ loadedModels: [VLLM_MODEL] });
  });

  it('health: empty 200 is up, 503 (dead engine) is down', async () => {
    expect((await (await driverFor(VLLM_V0)).health()).ok).toBe(true);
    await srv?.close();
    expect(await (await driverFor(VLLM_DEAD)).health()).toMatchObject({
      ok: false,
      error: 'health answered 503',
    });
  });

  it('max_model_len in /v1/models is the context length scan-models reports; init finds kind vllm', async () => {
    srv = await serveFixtures(VLLM_V1_DP2);
    const facts = await serverModelFacts(srv.url, 'vllm');
    expect(facts.get(VLLM_MODEL)).toMatchObject({ contextLength: 131072 });
    expect(await detectServer(srv.url)).toEqual({ url: srv.url, kind: 'vllm', models: [VLLM_MODEL] });
  });
});
