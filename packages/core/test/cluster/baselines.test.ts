import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { communityBaselineJsonSchema } from '../../src/cluster/baseline-schema.js';
import { loadBaselines, publicModelName } from '../../src/cluster/baselines.js';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { NodeSchema } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'broke-baselines-'));
const schemaPath = fileURLToPath(new URL('../../schema/baseline.schema.json', import.meta.url));

describe('baselines', () => {
  it('seeds ClusterState.perf from local files (median per node × model) and community priors', async () => {
    writeFileSync(
      join(dir, 'local.json'),
      JSON.stringify({
        kind: 'broke-baseline',
        schemaVersion: 1,
        createdAt: new Date().toISOString(),
        suite: 'standard-v1',
        results: [
          { nodeId: 'a', modelId: 'm', prompt: 'short', success: true, ttftMs: 100, decodeTokensPerSec: 50 },
          { nodeId: 'a', modelId: 'm', prompt: 'long', success: true, ttftMs: 300, decodeTokensPerSec: 40 },
          { nodeId: 'a', modelId: 'm', prompt: 'code', success: true, ttftMs: 200, decodeTokensPerSec: 45 },
          { nodeId: 'a', modelId: 'm', prompt: 'chat', success: false, error: 'boom' },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'community.json'),
      JSON.stringify({
        kind: 'broke-community-baseline',
        schemaVersion: 1,
        createdAt: new Date().toISOString(),
        suite: 'standard-v1',
        versions: { broke: '0.1.0', node: 'v20' },
        entries: [
          {
            machine: 'machine-1',
            backend: 'mlx',
            model: { id: 'qwen' },
            prompt: 'short',
            samples: 1,
            successRate: 1,
            ttftMs: 80,
            decodeTokensPerSec: 90,
          },
        ],
      }),
    );
    const state = new ClusterState();
    const nodes = [
      NodeSchema.parse({ id: 'a', url: 'http://127.0.0.1:1', models: [{ id: 'm' }] }),
      NodeSchema.parse({
        id: 'b',
        url: 'http://127.0.0.1:2',
        models: [{ id: 'q', path: '/Users/x/models/qwen' }],
      }),
    ];
    const seeded = await loadBaselines(['local.json', join(dir, 'community.json')], state, {
      baseDir: dir,
      nodes,
    });
    expect(state.perf('a', 'm')).toEqual({ ttftMs: 200, decodeTokensPerSec: 45, samples: 3 });
    expect(state.perf('b', 'q')).toEqual({ ttftMs: 80, decodeTokensPerSec: 90, samples: 1 });
    expect(seeded.map((s) => s.source)).toEqual(['local', 'community']);
  });

  it('rejects unreadable and invalid files with a clear message', async () => {
    const state = new ClusterState();
    await expect(loadBaselines([join(dir, 'missing.json')], state)).rejects.toThrow(/cannot be read/);
    writeFileSync(join(dir, 'bad.json'), '{"kind":"broke-baseline"}');
    await expect(loadBaselines([join(dir, 'bad.json')], state)).rejects.toThrow(/invalid at/);
  });

  it('publishes model names, never paths', () => {
    expect(
      publicModelName('/Users/alice/.cache/huggingface/hub/models--mlx-community--Qwen-4bit/snapshots/abc'),
    ).toBe('mlx-community/Qwen-4bit');
    expect(publicModelName('/home/bob/models/tiny/')).toBe('tiny');
    expect(publicModelName('llama3.2:3b')).toBe('llama3.2:3b');
  });

  it('the published JSON Schema is generated from the zod schema and up to date', () => {
    // Regenerate with BROKE_WRITE_SCHEMA=1 (then `npx biome format --write packages/core/schema`).
    const generated = communityBaselineJsonSchema();
    if (process.env.BROKE_WRITE_SCHEMA) writeFileSync(schemaPath, `${JSON.stringify(generated, null, 2)}\n`);
    expect(JSON.parse(readFileSync(schemaPath, 'utf8'))).toEqual(generated);
  });
});
