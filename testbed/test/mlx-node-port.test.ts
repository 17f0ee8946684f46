import { describe, expect, it, vi } from 'vitest';
import { heldPortForThisFile, picks } from './forced-picks.js';

// The first pick is forced to a port this file holds (forced-picks.ts); mlx_lm.server is real.
vi.mock('../ports.js', async (importOriginal) =>
  (await import('./forced-picks.js')).portsWithForcedPicks(importOriginal),
);

const { startMlxNode } = await import('../mlx-node.js');

describe('test bed: an mlx_lm.server port taken before the server binds it', () => {
  const held = heldPortForThisFile();

  it('fails at once with the server’s reason when the caller chose that port', async () => {
    const started = startMlxNode({ model: 'tiny', port: held.port });
    await expect(started).rejects.toThrow(/failed to start[\s\S]*Address already in use/);
  }, 60_000);

  it('picks another port and serves when the test bed chose it', async () => {
    picks.push(held.port);
    const node = await startMlxNode({ model: 'tiny' });
    try {
      expect(node.port).not.toBe(held.port);
      expect(node.url).toBe(`http://127.0.0.1:${node.port}`);
      expect(await (await fetch(`${node.url}/health`)).json()).toEqual({ status: 'ok' });
      expect(picks).toEqual([]);
    } finally {
      await node.stop();
    }
  }, 120_000);
});
