import { describe, expect, it, vi } from 'vitest';
import { heldPortForThisFile, picks } from './forced-picks.js';

// The dashboard's pick (the second of Ray's ten) is forced to a port this file holds
// (forced-picks.ts); Ray itself is real.
vi.mock('../ports.js', async (importOriginal) =>
  (await import('./forced-picks.js')).portsWithForcedPicks(importOriginal),
);

const { startRayCluster } = await import('../ray.js');

describe('test bed: a Ray port taken before Ray binds it', () => {
  const held = heldPortForThisFile();

  it('picks its ports again and starts', async () => {
    picks.push(undefined, held.port);
    const ray = await startRayCluster({ cpus: 2 });
    try {
      expect(Number(new URL(ray.dashboardUrl).port)).not.toBe(held.port);
      expect((await fetch(`${ray.dashboardUrl}/api/serve/applications/`)).ok).toBe(true);
      expect(picks).toEqual([]);
    } finally {
      await ray.stop();
    }
  }, 300_000);
});
