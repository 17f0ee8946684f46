import { describe, expect, it, vi } from 'vitest';
import { heldPortForThisFile, picks } from './forced-picks.js';

// The first pick is forced to a port this file holds (forced-picks.ts); `transformers serve` is
// real (its own venv, PyTorch on CPU).
vi.mock('../ports.js', async (importOriginal) =>
  (await import('./forced-picks.js')).portsWithForcedPicks(importOriginal),
);

const { startTransformersNode } = await import('../transformers-node.js');

describe('test bed: a transformers serve port taken before the server binds it', () => {
  const held = heldPortForThisFile();

  it('picks another port and serves', async () => {
    picks.push(held.port);
    const node = await startTransformersNode({ model: 'leaky' });
    try {
      expect(Number(new URL(node.url).port)).not.toBe(held.port);
      expect((await fetch(`${node.url}/health`)).ok).toBe(true);
      // The forced pick was taken, so the first start was the one on the held port.
      expect(picks).toEqual([]);
    } finally {
      await node.stop();
    }
  }, 300_000);
});
