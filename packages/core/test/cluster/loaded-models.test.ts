import { describe, expect, it } from 'vitest';
import { loadedModelIds } from '../../src/cluster/loaded-models.js';

describe('loadedModelIds: one identity for loaded models across drivers', () => {
  it('maps ids, served names, paths and path tails to config ids; keeps unknown names after them', () => {
    const node = {
      models: [
        { id: 'qwen-7b', servedName: 'mlx-community/Qwen2.5-7B-Instruct-4bit' },
        { id: 'llama-3b', path: '/Users/me/models/llama-3b' },
        { id: 'phi' },
      ],
    };
    expect(
      loadedModelIds(node, [
        '/Users/me/.cache/huggingface/hub/models--x/snapshots/abc/Qwen2.5-7B-Instruct-4bit',
        '/Users/me/models/llama-3b',
        'phi',
        'something-else:latest',
      ]),
    ).toEqual(['qwen-7b', 'llama-3b', 'phi', 'something-else:latest']);
  });

  it('a single-model node reporting one unmatched path serves that model (mlx_lm.server --model <path>)', () => {
    expect(loadedModelIds({ models: [{ id: 'tiny-a' }] }, ['/root/.cache/broke/models/tiny-1a2b'])).toEqual([
      'tiny-a',
    ]);
    // With several models configured it cannot tell: the name stays as reported (cold for all).
    expect(loadedModelIds({ models: [{ id: 'a' }, { id: 'b' }] }, ['/models/x'])).toEqual(['/models/x']);
    expect(loadedModelIds({ models: [{ id: 'a' }] }, [])).toEqual([]);
  });
});
