import { randomBytes } from 'node:crypto';
import type { AffinityTarget, SessionAffinity } from '../learning/session-affinity.js';
import { Redis } from '../stores/ioredis.js';
import { redactUrl } from '../stores/redis-stats-store.js';
import type { ClusterState } from './cluster-state.js';
import type { NodeState } from './node-state.js';

/** One request's hold on a node (same contract as serving/node-slot.ts): release exactly once. */
export interface ReplicaSlot {
  release(): void;
}

export interface ReplicaStateOptions {
  url: string;
  /** Key and channel prefix, the stats store's (default `broke:`). */
  prefix?: string;
  cluster: ClusterState;
  /**
   * A lease not renewed for this long is freed (default 15 s): what a dead gateway's slots cost
   * the others at most. Running requests renew theirs every third of it.
   */
  leaseTtlMs?: number;
  /**
   * Share of each node's maxConcurrency this replica may use on its own while Redis is lost
   * (default 1: full). With N replicas, 1/N never oversubscribes a node; 1 keeps every replica
   * serving at full speed and lets a node take up to N × maxConcurrency (servers queue the rest).
   */
  degradedShare?: number;
  /** How long a session → node choice is kept in Redis (default 1 day). */
  sessionTtlSec?: number;
  /** How often a waiting request checks again without a release message (default 100 ms). */
  pollMs?: number;
  onWarning?: (message: string) => void;
}

interface Lease {
  nodeId: string;
  id: string;
  /** Taken from local counts while Redis was lost (never written to Redis). */
  local: boolean;
}

interface Waiter {
  nodeId: string;
  maxWaitMs: number;
  resolve(slot: ReplicaSlot | undefined): void;
  done: boolean;
}

/**
 * KEYS 1: the node's lease set. ARGV: capacity, lease id, ttl ms. Expired leases (gateways that
 * died) are dropped first; a lease is added only below capacity. Returns {acquired 0/1, count}.
 * Time is Redis's own, so gateways' clocks need not agree.
 */
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[1]) then return {0, n} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return {1, n + 1}
`;

/** KEYS 1: lease set. ARGV: lease id, channel, node id. Publishes the new count (wakes waiters). */
const RELEASE_LUA = `
redis.call('ZREM', KEYS[1], ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
redis.call('PUBLISH', ARGV[2], cjson.encode({s = ARGV[3], n = n}))
return n
`;

/** KEYS: lease sets; ARGV: ttl ms, then one lease id per key. Re-adds a lease that expired. */
const RENEW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[1]) * 2)
end
return #KEYS
`;

/** A defined script: (numKeys when it has no fixed count,) keys, then arguments. */
type Script = (...args: Array<string | number>) => Promise<unknown>;

/**
 * What gateway replicas sharing one Redis (`store.kind: redis`) must agree on beyond learned
 * statistics: in-flight slots per node (leases in a sorted set, expiring when a gateway dies),
 * cooldowns (a key with a TTL, announced by pub/sub) and session → node affinity (a key with a
 * TTL; the router's local LRU is the cache). One round trip to take a slot, one to give it back.
 *
 * Redis lost: slots come from local counts (`degradedShare` of each node's capacity), cooldowns
 * and sessions stay local, `degraded` is true. Back: held leases are written again (they are
 * running), cooldowns re-read, new slots come from Redis again.
 */
export class ReplicaState {
  readonly prefix: string;
  private readonly url: string;
  private readonly cluster: ClusterState;
  private readonly leaseTtlMs: number;
  private readonly degradedShare: number;
  private readonly sessionTtlSec: number;
  private readonly pollMs: number;
  private readonly warn: (message: string) => void;
  private readonly origin = randomBytes(6).toString('hex');
  private cmd: Redis | undefined;
  private sub: Redis | undefined;
  private acquireScript: Script | undefined;
  private releaseScript: Script | undefined;
  private renewScript: Script | undefined;
  private readonly held = new Set<Lease>();
  /** Per node: slots this replica took from local counts (Redis lost). */
  private readonly localHeld = new Map<string, number>();
  /** Per node: the count all replicas hold, as Redis last said. */
  private readonly sharedCount = new Map<string, number>();
  /** Per node: slots asked of Redis, not answered yet. */
  private readonly asking = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter[]>();
  private renewTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private affinity: SessionAffinity | undefined;
  private seq = 0;
  private wasDegraded = false;
  private closed = false;

  constructor(options: ReplicaStateOptions) {
    this.url = options.url;
    this.prefix = options.prefix ?? 'broke:';
    this.cluster = options.cluster;
    this.leaseTtlMs = options.leaseTtlMs ?? 15_000;
    this.degradedShare = options.degradedShare ?? 1;
    this.sessionTtlSec = options.sessionTtlSec ?? 86_400;
    this.pollMs = options.pollMs ?? 100;
    this.warn =
      options.onWarning ?? ((message) => process.emitWarning(message, { code: 'BROKE_REPLICA_STATE' }));
  }

  /** Connects (and keeps reconnecting); resolves once connected or after the first failure. */
  async start(): Promise<void> {
    const options = {
      lazyConnect: true,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      // A lost Redis must fail fast to the local fallback, never queue a request's slot.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      retryStrategy: (times: number) => (this.closed ? null : Math.min(100 * times, 1_000)),
    };
    const cmd = new Redis(this.url, options);
    const sub = new Redis(this.url, options);
    this.cmd = cmd;
    this.sub = sub;
    cmd.on('error', () => undefined);
    sub.on('error', () => undefined);
    cmd.defineCommand('brokeAcquire', { numberOfKeys: 1, lua: ACQUIRE_LUA });
    cmd.defineCommand('brokeRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
    cmd.defineCommand('brokeRenew', { lua: RENEW_LUA });
    const named = cmd as unknown as Record<string, Script>;
    this.acquireScript = (named.brokeAcquire as Script).bind(cmd);
    this.releaseScript = (named.brokeRelease as Script).bind(cmd);
    this.renewScript = (named.brokeRenew as Script).bind(cmd);
    sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    cmd.on('close', () => this.lost());
    cmd.on('ready', () => this.regained());
    sub.on('ready', () => {
      sub.subscribe(this.channel('slots'), this.channel('cooldowns')).catch(() => undefined);
    });
    this.renewTimer = setInterval(() => this.renew(), Math.max(50, this.leaseTtlMs / 3));
    this.renewTimer.unref();
    await Promise.all([cmd.connect().catch(() => undefined), sub.connect().catch(() => undefined)]);
    if (this.degraded) this.lost();
  }

  /** True while this replica works from local state (Redis unreachable). */
  get degraded(): boolean {
    return this.cmd?.status !== 'ready';
  }

  /** Session → node choices go to Redis as the router makes them, and come from it before routing. */
  attach(affinity: SessionAffinity): void {
    this.affinity = affinity;
    affinity.onRemember = (sessionId, target) => {
      if (this.degraded) return;
      this.cmd
        ?.set(this.key('session', sessionId), JSON.stringify(target), 'EX', this.sessionTtlSec)
        .catch(() => undefined);
    };
  }

  /**
   * Loads the session's node from Redis into the router's affinity (one GET), so a turn keeps its
   * node whichever replica serves it. Redis lost or slow: the local cache answers.
   */
  async primeSession(sessionId: string | undefined): Promise<void> {
    if (sessionId === undefined || !this.affinity || this.degraded) return;
    const text = await this.cmd?.get(this.key('session', sessionId)).catch(() => null);
    if (!text) return;
    try {
      const target = JSON.parse(text) as AffinityTarget;
      if (typeof target.nodeId === 'string' && typeof target.modelId === 'string')
        this.affinity.prime(sessionId, { nodeId: target.nodeId, modelId: target.modelId });
    } catch {
      // not ours: the local cache stands
    }
  }

  /** A cooldown every replica applies (the local one is set by the caller). */
  coolDown(nodeId: string, ms: number, reason?: string): void {
    if (this.degraded) return;
    const cmd = this.cmd as Redis;
    cmd
      .multi()
      .set(this.key('cooldown', nodeId), reason ?? '', 'PX', Math.max(1, Math.round(ms)))
      .publish(this.channel('cooldowns'), JSON.stringify({ o: this.origin, s: nodeId, ms, r: reason }))
      .exec()
      .catch(() => undefined);
  }

  /**
   * A slot on the node now, or once one frees within `maxWaitMs` (a release on any replica wakes
   * the waiters; a short poll covers leases freed by expiry). Undefined: queue full, timed out,
   * or `signal` aborted.
   */
  acquire(nodeId: string, maxWaitMs: number, signal?: AbortSignal): Promise<ReplicaSlot | undefined> {
    const state = this.cluster.node(nodeId);
    if (!state) return Promise.resolve({ release() {} });
    const queue = this.waiters.get(nodeId) ?? [];
    this.waiters.set(nodeId, queue);
    // Behind others waiting here: queue too (first come, first served within this replica).
    const now = queue.length > 0 ? Promise.resolve(undefined) : this.tryTake(state);
    return now.then((slot) => {
      if (slot) return slot;
      if (queue.length >= (state.queueLimit ?? 0) || maxWaitMs <= 0 || signal?.aborted) return undefined;
      return new Promise<ReplicaSlot | undefined>((resolve) => {
        const waiter: Waiter = { nodeId, maxWaitMs, resolve: () => undefined, done: false };
        const leave = () => finish(undefined);
        const timer = setTimeout(leave, maxWaitMs);
        timer.unref?.();
        const finish = (got: ReplicaSlot | undefined) => {
          if (waiter.done) {
            got?.release();
            return;
          }
          waiter.done = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', leave);
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          state.waiting = Math.max(0, (state.waiting ?? 1) - 1);
          resolve(got);
        };
        waiter.resolve = finish;
        signal?.addEventListener('abort', leave, { once: true });
        queue.push(waiter);
        state.waiting = (state.waiting ?? 0) + 1;
        this.armPoll();
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    clearTimeout(this.pollTimer);
    for (const queue of this.waiters.values()) for (const waiter of [...queue]) waiter.resolve(undefined);
    // Leases of requests still running expire on their own; give back what can be given now.
    await Promise.all([...this.held].map((lease) => this.giveBack(lease)));
    for (const client of [this.cmd, this.sub]) {
      if (client?.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client?.disconnect();
    }
  }

  // --- slots ------------------------------------------------------------------------------

  private async tryTake(state: NodeState): Promise<ReplicaSlot | undefined> {
    if (!this.degraded) {
      const id = `${this.origin}:${++this.seq}`;
      // Counted at once, so a burst of routes made before Redis answers sees each other.
      this.asking.set(state.id, (this.asking.get(state.id) ?? 0) + 1);
      state.inFlight += 1;
      let reply: [number, number] | undefined;
      try {
        reply = (await (this.acquireScript as Script)(
          this.key('slots', state.id),
          state.capacity,
          id,
          this.leaseTtlMs,
        )) as [number, number];
      } catch {
        // Lost mid-call: this lease may or may not be in Redis; it expires if it is.
      }
      this.asking.set(state.id, Math.max(0, (this.asking.get(state.id) ?? 1) - 1));
      if (reply) {
        this.noteCount(state, reply[1]);
        if (reply[0] !== 1) return undefined;
        return this.hold(state, { nodeId: state.id, id, local: false });
      }
      state.inFlight = Math.max(0, state.inFlight - 1);
      if (!this.degraded) return undefined;
    }
    const local = this.localHeld.get(state.id) ?? 0;
    const running = [...this.held].filter((l) => l.nodeId === state.id && !l.local).length;
    if (local + running >= Math.max(1, Math.floor(state.capacity * this.degradedShare))) return undefined;
    this.localHeld.set(state.id, local + 1);
    state.inFlight += 1;
    return this.hold(state, { nodeId: state.id, id: `${this.origin}:local:${++this.seq}`, local: true });
  }

  private hold(state: NodeState, lease: Lease): ReplicaSlot {
    this.held.add(lease);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.held.delete(lease);
        if (lease.local) {
          this.localHeld.set(lease.nodeId, Math.max(0, (this.localHeld.get(lease.nodeId) ?? 1) - 1));
          state.inFlight = Math.max(0, state.inFlight - 1);
          this.wake(lease.nodeId);
        } else void this.giveBack(lease);
      },
    };
  }

  private async giveBack(lease: Lease): Promise<void> {
    const state = this.cluster.node(lease.nodeId);
    if (lease.local || this.degraded) {
      // Not in Redis (or unreachable): it expires there; locally it is gone now.
      if (state) state.inFlight = Math.max(0, state.inFlight - 1);
      this.wake(lease.nodeId);
      return;
    }
    try {
      const count = (await (this.releaseScript as Script)(
        this.key('slots', lease.nodeId),
        lease.id,
        this.channel('slots'),
        lease.nodeId,
      )) as number;
      if (state) this.noteCount(state, count);
    } catch {
      // expires in Redis by itself
    }
    this.wake(lease.nodeId);
  }

  /** The router's view of the node: what every replica holds there, plus local-only slots. */
  private noteCount(state: NodeState, count: number): void {
    this.sharedCount.set(state.id, count);
    state.inFlight = count + (this.localHeld.get(state.id) ?? 0) + (this.asking.get(state.id) ?? 0);
  }

  /** Lets the first waiter on the node try again (FIFO within this replica). */
  private wake(nodeId: string): void {
    const waiter = this.waiters.get(nodeId)?.[0];
    const state = this.cluster.node(nodeId);
    if (!waiter || !state || this.closed) return;
    void this.tryTake(state).then((slot) => {
      if (!slot) return;
      if (waiter.done) {
        // It left meanwhile: the next one may take it.
        slot.release();
        return;
      }
      waiter.resolve(slot);
      this.wake(nodeId);
    });
  }

  /** While anyone waits, try again now and then (leases freed by expiry publish nothing). */
  private armPoll(): void {
    if (this.pollTimer || this.closed) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      let any = false;
      for (const [nodeId, queue] of this.waiters) {
        if (queue.length === 0) continue;
        any = true;
        this.wake(nodeId);
      }
      if (any) this.armPoll();
    }, this.pollMs);
    this.pollTimer.unref?.();
  }

  private renew(): void {
    if (this.degraded) return;
    const leases = [...this.held].filter((l) => !l.local);
    if (leases.length === 0) return;
    (this.renewScript as Script)(
      leases.length,
      ...leases.map((l) => this.key('slots', l.nodeId)),
      this.leaseTtlMs,
      ...leases.map((l) => l.id),
    ).catch(() => undefined);
  }

  // --- connection -------------------------------------------------------------------------

  private lost(): void {
    if (this.closed || this.wasDegraded) return;
    this.wasDegraded = true;
    // Other replicas' counts are unknown now: the router sees only what this replica holds.
    for (const state of this.cluster.nodes()) {
      const mine = [...this.held].filter((l) => l.nodeId === state.id).length;
      state.inFlight = mine;
    }
    this.warn(
      `Redis at ${redactUrl(this.url)} is unreachable: node slots, cooldowns and sessions are this replica's own until it returns`,
    );
  }

  private regained(): void {
    if (this.closed) return;
    if (this.wasDegraded) {
      this.wasDegraded = false;
      this.warn(`Redis at ${redactUrl(this.url)} is reachable again: node slots are shared again`);
    }
    // Requests that run now hold their nodes: write their leases again, read cooldowns again.
    this.renew();
    void this.readCooldowns();
    for (const nodeId of this.waiters.keys()) this.wake(nodeId);
  }

  private async readCooldowns(): Promise<void> {
    const cmd = this.cmd;
    if (!cmd || this.degraded) return;
    const nodes = this.cluster.nodes();
    const pipeline = cmd.pipeline();
    for (const state of nodes) pipeline.pttl(this.key('cooldown', state.id));
    const replies = (await pipeline.exec().catch(() => null)) ?? [];
    replies.forEach(([error, ms], i) => {
      const state = nodes[i];
      if (!error && state && typeof ms === 'number' && ms > 0)
        state.cooldownUntil = Math.max(state.cooldownUntil, Date.now() + ms);
    });
  }

  private onMessage(channel: string, message: string): void {
    let parsed: { o?: unknown; s?: unknown; n?: unknown; ms?: unknown; r?: unknown };
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof parsed.s !== 'string') return;
    const state = this.cluster.node(parsed.s);
    if (!state) return;
    if (channel === this.channel('slots') && typeof parsed.n === 'number') {
      this.noteCount(state, parsed.n);
      if (parsed.n < state.capacity) this.wake(state.id);
    } else if (channel === this.channel('cooldowns') && typeof parsed.ms === 'number') {
      if (parsed.o === this.origin) return;
      state.cooldownUntil = Math.max(state.cooldownUntil, Date.now() + parsed.ms);
      if (typeof parsed.r === 'string' && parsed.r !== '')
        state.lastError = { at: Date.now(), message: parsed.r };
    }
  }

  private key(kind: string, id: string): string {
    return `${this.prefix}${kind}:${encodeURIComponent(id)}`;
  }

  private channel(kind: string): string {
    return `${this.prefix}${kind}`;
  }
}
