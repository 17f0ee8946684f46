import { createServer } from 'node:net';

/** A port that was free on `host` a moment ago (the OS picks it). Loopback only. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not read the port'));
      });
    });
  });
}

/** What a server prints when its port is taken (Linux errno 98: Python's, uvicorn's and Ray's wording). */
export const PORT_TAKEN = /address already in use|errno 98|already occupied/i;

/**
 * Starts a server on ports the test bed picks (`start` picks them with freePort), and again, up to
 * `tries` starts in all, when a start failed because a picked port was taken by the time the
 * server bound it: a port free a moment ago can be anyone's by then (any process's outgoing
 * connection may get it as its local port). `portTaken` tells that failure from the others.
 */
export async function startOnPickedPorts<T>(
  start: () => Promise<T>,
  portTaken: (error: unknown) => boolean,
  tries = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= tries || !portTaken(error)) throw error;
    }
  }
}

/** Thrown by a `waitFor` check to stop waiting at once (a server that exited cannot come up). */
export class GiveUp extends Error {
  override readonly name = 'GiveUp';
}

/**
 * Resolves once `check` returns true, polling every `everyMs`; rejects with `what` after
 * `timeoutMs`. A check that throws counts as "not yet" (a server not listening yet refuses the
 * connection), except with GiveUp, which ends the wait with that error.
 */
export async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await check().catch((error: unknown) => {
      if (error instanceof GiveUp) throw error;
      return false;
    });
    if (ready) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
