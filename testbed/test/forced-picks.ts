import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type * as Ports from '../ports.js';

// A port the test bed picks can be taken before the server binds it (an outgoing connection may get
// it as its local port): a race a real run hits now and then and no test can make happen on
// demand. The port tests force a pick instead; the servers themselves are real.

/** What the next freePort calls return instead of the OS's pick, in order (undefined: the OS picks). */
export const picks: Array<number | undefined> = [];

/** ports.js with freePort taking `picks` first: a `vi.mock('../ports.js', …)` factory's body. */
export async function portsWithForcedPicks(
  importOriginal: () => Promise<typeof Ports>,
): Promise<typeof Ports> {
  const ports = await importOriginal();
  return { ...ports, freePort: async (host?: string) => picks.shift() ?? ports.freePort(host) };
}

/**
 * A loopback port held by a server that accepts and never answers (health checks must not hang
 * on it), until `close`, which ends its connections too.
 */
export async function holdPort(): Promise<{ port: number; close(): Promise<void> }> {
  const accepted = new Set<Socket>();
  const holder = createServer((socket) => {
    accepted.add(socket);
    socket.once('close', () => accepted.delete(socket));
  });
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  return {
    port: (holder.address() as { port: number }).port,
    close: async () => {
      const closed = new Promise<void>((r) => holder.close(() => r()));
      for (const socket of accepted) socket.destroy();
      await closed;
    },
  };
}

/** A port held (holdPort) for the whole test file: read `port` inside its tests. */
export function heldPortForThisFile(): { readonly port: number } {
  let held: Awaited<ReturnType<typeof holdPort>> | undefined;
  beforeAll(async () => {
    held = await holdPort();
  });
  afterAll(() => held?.close());
  return {
    get port() {
      if (!held) throw new Error('the held port is read before the file’s tests run');
      return held.port;
    },
  };
}
