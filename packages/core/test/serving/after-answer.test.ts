import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { afterAnswer, answersBookkept } from '../../src/serving/after-answer.js';

describe('bookkeeping after the answer', () => {
  const closers: Array<() => void> = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  it("runs after the other I/O of the same turn: a second request's bytes are read first", async () => {
    const order: string[] = [];
    const server = createServer((socket) => {
      socket.on('data', (b) => {
        const name = b.toString();
        order.push(name);
        // What the first one's answer leaves to do once it is out.
        if (name === 'first') afterAnswer(() => order.push('bookkeeping'));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => server.close());
    const { port } = server.address() as { port: number };
    const clients: Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const c = connect(port, '127.0.0.1');
      await once(c, 'connect');
      closers.push(() => c.destroy());
      clients.push(c);
    }
    // Let the server accept both, then make both readable before the loop next polls.
    await new Promise((r) => setTimeout(r, 50));
    clients[0]?.write('first');
    clients[1]?.write('second');
    const until = performance.now() + 50;
    while (performance.now() < until) {
      // busy: both writes arrive while this turn runs
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(['first', 'second', 'bookkeeping']);
  });

  it('keeps the order of the tasks, and answersBookkept() resolves after them', async () => {
    const order: number[] = [];
    for (let i = 0; i < 3; i++) afterAnswer(() => order.push(i));
    await Promise.resolve();
    expect(order).toEqual([]);
    await answersBookkept();
    expect(order).toEqual([0, 1, 2]);
  });

  it('a task that throws is a process warning; the tasks after it still run', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    closers.push(() => process.off('warning', onWarning));
    let ran = false;
    afterAnswer(() => {
      throw new Error('learner bug');
    });
    afterAnswer(() => {
      ran = true;
    });
    await answersBookkept();
    await new Promise((r) => setTimeout(r, 10));
    expect(ran).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/bookkeeping after an answer failed: Error: learner bug/);
    expect((warnings[0] as Error & { code?: string }).code).toBe('BROKE_AFTER_ANSWER');
  });
});
