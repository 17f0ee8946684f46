import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// As mlx-node-port.test.ts: the port the test bed picks is taken before `transformers serve`
// binds it, a race no test can make happen on demand, so the first pick is forced to a port this
// file holds; the server itself is real (its own venv, PyTorch on CPU).
const picks: number[] = [];
vi.mock('../ports.js', async (importOriginal) => {
  const ports = await importOriginal<typeof import('../ports.js')>();
  return {
    ...ports,
    freePort: async (host?: string) => picks.shift() ?? ports.freePort(host),
  };
});

const { startTransformersNode } = await import('../transformers-node.js');

describe('test bed: a transformers serve port taken before the server binds it', () => {
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

  it('picks another port and serves', async () => {
    picks.push(taken);
    const node = await startTransformersNode({ model: 'leaky' });
    try {
      const port = Number(new URL(node.url).port);
      expect(port).not.toBe(taken);
      expect((await fetch(`${node.url}/health`)).ok).toBe(true);
      // The first start's failure was the taken port, not something else that happened to pass.
      expect(picks).toEqual([]);
    } finally {
      await node.stop();
    }
  }, 300_000);
});
