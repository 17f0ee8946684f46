import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../../../testbed/index.js';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { type ReplicaSlot, ReplicaState } from '../../src/cluster/replica-state.js';
import { SessionAffinity } from '../../src/learning/session-affinity.js';

// Two replicas over one real redis-server: what they must agree on per node.
let redis: RedisServer;
let prefix = 0;

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

const node = { id: 'n1', maxConcurrency: 2, memoryGb: undefined, queueLimit: 8 };

async function replica(options: { leaseTtlMs?: number; degradedShare?: number; prefix?: string } = {}) {
  const cluster = new ClusterState([node as never]);
  const state = new ReplicaState({
    url: redis.url,
    prefix: options.prefix ?? `t${prefix}:`,
    cluster,
    onWarning: () => undefined,
    ...options,
  });
  await state.start();
  return { cluster, state };
}

function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`never happened: ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

describe('ReplicaState (replicas sharing Redis)', () => {
  it('two replicas together never hold more than the node maxConcurrency; a release on one wakes a waiter on the other', async () => {
    prefix += 1;
    const a = await replica();
    const b = await replica();
    try {
      const s1 = (await a.state.acquire('n1', 0)) as ReplicaSlot;
      const s2 = (await b.state.acquire('n1', 0)) as ReplicaSlot;
      expect(s1).toBeDefined();
      expect(s2).toBeDefined();
      // Full across both: no wait allowed → refused on either replica.
      expect(await a.state.acquire('n1', 0)).toBeUndefined();
      expect(await b.state.acquire('n1', 0)).toBeUndefined();
      // Both see the shared count (the router predicts waits from it).
      expect(a.cluster.node('n1')?.inFlight).toBe(2);
      const waiting = b.state.acquire('n1', 30_000);
      s1.release();
      const s3 = await waiting;
      expect(s3).toBeDefined();
      s2.release();
      s3?.release();
      await until(() => a.cluster.node('n1')?.inFlight === 0, 'count back to 0 on the other replica');
    } finally {
      await Promise.all([a.state.close(), b.state.close()]);
    }
  });

  it("a dead replica's slots free after the lease TTL; a running request's lease is renewed", async () => {
    prefix += 1;
    const b = await replica({ leaseTtlMs: 1000 });
    const running = (await b.state.acquire('n1', 0)) as ReplicaSlot;
    // Another replica takes the second slot, then dies holding it (SIGKILL: no release, no renewal).
    const source = new URL('../../src/cluster/replica-state.ts', import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./lease-holder.mjs', import.meta.url)),
        redis.url,
        `t${prefix}:`,
        '1000',
        source,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const said = await new Promise<string>((resolve) =>
      child.stdout?.once('data', (d) => resolve(String(d))),
    );
    expect(said.trim()).toBe('held');
    expect(await b.state.acquire('n1', 0)).toBeUndefined();
    child.kill('SIGKILL');
    const after = await b.state.acquire('n1', 10_000);
    expect(after).toBeDefined();
    // b's first request outlived its TTL yet kept its slot (renewed): the node is still full.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await b.state.acquire('n1', 0)).toBeUndefined();
    running.release();
    after?.release();
    await b.state.close();
  }, 30_000);

  it('Redis lost: degraded, slots from local counts (degradedShare), back to shared when it returns', async () => {
    prefix += 1;
    const a = await replica({ degradedShare: 0.5 });
    expect(a.state.degraded).toBe(false);
    const held = (await a.state.acquire('n1', 0)) as ReplicaSlot;
    await redis.kill();
    try {
      await until(() => a.state.degraded, 'degraded after Redis died');
      // 0.5 × 2 = 1 slot alone, and the request still running holds it.
      expect(await a.state.acquire('n1', 0)).toBeUndefined();
      held.release();
      const local = (await a.state.acquire('n1', 0)) as ReplicaSlot;
      expect(local).toBeDefined();
      expect(await a.state.acquire('n1', 0)).toBeUndefined();
      local.release();
      expect(a.cluster.node('n1')?.inFlight).toBe(0);
    } finally {
      redis = await startRedis({ port: redis.port });
    }
    await until(() => !a.state.degraded, 'shared again after Redis returned', 15_000);
    const s1 = await a.state.acquire('n1', 0);
    const s2 = await a.state.acquire('n1', 0);
    expect([s1, s2].every(Boolean)).toBe(true);
    expect(await a.state.acquire('n1', 0)).toBeUndefined();
    s1?.release();
    s2?.release();
    await a.state.close();
  }, 40_000);

  it('a session remembered on one replica is the session on the other; cooldowns reach every replica', async () => {
    prefix += 1;
    const a = await replica();
    const b = await replica();
    try {
      const affA = new SessionAffinity();
      const affB = new SessionAffinity();
      a.state.attach(affA);
      b.state.attach(affB);
      affA.remember('s-1', 'n1', 'm');
      let primed = false;
      await until(() => {
        void b.state.primeSession('s-1').then(() => {
          primed = affB.lookup('s-1')?.nodeId === 'n1';
        });
        return primed;
      }, 'session visible on B');
      a.state.coolDown('n1', 5000, 'boom');
      await until(() => (b.cluster.node('n1')?.cooldownUntil ?? 0) > Date.now(), 'cooldown on B');
      expect(b.cluster.node('n1')?.lastError?.message).toBe('boom');
    } finally {
      await Promise.all([a.state.close(), b.state.close()]);
    }
  });
});
