import { describe, expect, it } from 'vitest';
import { startGateway } from '../../src/index.js';
import { testConfig } from './helpers.js';

describe('startGateway defaults (what `broke-cluster serve` gets)', () => {
  it('builds its own Router over the configured store and mounts the installed bridges', async () => {
    const gw = await startGateway({ config: testConfig(), port: 0 });
    try {
      for (const prefix of ['', '/crewai', '/autogen']) {
        const res = await fetch(`${gw.url}${prefix}/v1/models`);
        expect(res.status, prefix).toBe(200);
        const ids = ((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
        expect(ids).toContain('broke-auto');
        expect(ids).toContain('m1');
      }
    } finally {
      await gw.close();
    }
  });
});
