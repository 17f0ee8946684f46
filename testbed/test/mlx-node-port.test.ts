import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The port the test bed picks is taken before mlx_lm.server binds it: a race a real run hits now
// and then (an outgoing connection gets that port as its local one) and no test can make happen on
// demand, so the first pick is forced to a port this file holds; the server itself is real.
const picks: number[] = [];
vi.mock('../ports.js', async (importOriginal) => {
  const ports = await importOriginal<typeof import('../ports.js')>();
  return {
    ...ports,
    freePort: async (host?: string) => picks.shift() ?? ports.freePort(host),
  };
});

const { startMlxNode } = await import('../mlx-node.js');

describe('test bed: an mlx_lm.server port taken before the server binds it', () => {
  let holder: Server;
  let taken = 0;
  // It accepts and never answers (the health checks must not hang on it); closed with its sockets.
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

  it('fails at once with the server’s reason when the caller chose that port', async () => {
    const started = startMlxNode({ model: 'tiny', port: taken });
    await expect(started).rejects.toThrow(/failed to start[\s\S]*Address already in use/);
  }, 60_000);

  it('picks another port and serves when the test bed chose it', async () => {
    picks.push(taken);
    const node = await startMlxNode({ model: 'tiny' });
    try {
      expect(node.port).not.toBe(taken);
      expect(node.url).toBe(`http://127.0.0.1:${node.port}`);
      expect(await (await fetch(`${node.url}/health`)).json()).toEqual({ status: 'ok' });
    } finally {
      await node.stop();
    }
  }, 120_000);
});
