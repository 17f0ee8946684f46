import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectServer } from '../../src/cli/discovery.js';
import { loadConfig } from '../../src/config/loader.js';
import { type FixtureServer, LLAMACPP, MLX_KNIFE, OLLAMA, serveFixtures, VLLM } from '../drivers/fixtures.js';
import { cli, ensureBuilt } from './helpers.js';

// CONTRACT TESTS: backend detection over recorded response shapes (test/drivers/fixtures.ts),
// served on loopback. The real mlx_lm.server case is covered in cli-cluster.test.ts.
describe('contract: server discovery', () => {
  const servers: Record<string, FixtureServer> = {};
  beforeAll(async () => {
    ensureBuilt();
    servers.ollama = await serveFixtures(OLLAMA);
    servers.llamacpp = await serveFixtures(LLAMACPP);
    servers.vllm = await serveFixtures(VLLM);
    servers['mlx-knife'] = await serveFixtures(MLX_KNIFE);
    servers.openai = await serveFixtures({
      'GET /v1/models': { json: { object: 'list', data: [{ id: 'gpt-local' }] } },
    });
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  it('tells the backends apart by their own endpoints', async () => {
    for (const [kind, srv] of Object.entries(servers)) {
      expect((await detectServer(srv.url))?.kind, kind).toBe(kind);
    }
    expect((await detectServer(servers.ollama?.url as string))?.models).toEqual([
      'llama3.2:3b',
      'qwen2.5-coder:7b',
    ]);
  });

  it('init --node writes one node per server with its kind and models', async () => {
    const cfg = join(mkdtempSync(join(tmpdir(), 'broke-disc-')), 'broke.yaml');
    const r = await cli([
      '-c',
      cfg,
      'init',
      '--node',
      servers.ollama?.url as string,
      '--node',
      servers.vllm?.url as string,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const config = loadConfig(cfg);
    expect(config.nodes.map((n) => [n.kind, n.models.map((m) => m.id)])).toEqual([
      ['ollama', ['llama3.2:3b', 'qwen2.5-coder:7b']],
      ['vllm', ['Qwen/Qwen2.5-7B-Instruct']],
    ]);
    expect(new Set(config.nodes.map((n) => n.id)).size).toBe(2);
  });
});
