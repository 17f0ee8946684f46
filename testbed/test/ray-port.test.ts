import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// As mlx-node-port.test.ts: a port the test bed picks for Ray is taken before Ray binds it, a race
// no test can make happen on demand, so the dashboard's pick (the second of the ten) is forced to a
// port this file holds; Ray itself is real.
const picks: Array<number | undefined> = [];
vi.mock('../ports.js', async (importOriginal) => {
  const ports = await importOriginal<typeof import('../ports.js')>();
  return {
    ...ports,
    freePort: async (host?: string) => picks.shift() ?? ports.freePort(host),
  };
});

const { startRayCluster } = await import('../ray.js');

describe('test bed: a Ray port taken before Ray binds it', () => {
  let holder: Server;
  let taken = 0;
  const accepted = new Set<Socket>();
  beforeAll(async () => {
    holder = createServer((socket) => {
      accepted.add(socket);
      socket.once('close', () => accepted.delete(socket));
    });
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    taken = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    const closed = new Promise<void>((r) => holder.close(() => r()));
    for (const socket of accepted) socket.destroy();
    await closed;
  });

  it('picks its ports again and starts', async () => {
    picks.push(undefined, taken);
    const ray = await startRayCluster({ cpus: 2 });
    try {
      expect(Number(new URL(ray.dashboardUrl).port)).not.toBe(taken);
      expect((await fetch(`${ray.dashboardUrl}/api/serve/applications/`)).ok).toBe(true);
      expect(picks).toEqual([]);
    } finally {
      await ray.stop();
    }
  }, 200_000);
});
