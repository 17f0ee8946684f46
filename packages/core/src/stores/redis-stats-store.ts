import { randomBytes } from 'node:crypto';
import { BrokeError } from '../errors.js';
import type { QualityStat } from '../learning/quality-stat.js';
import { Redis } from './ioredis.js';
import { type Deltas, type Row, StatMirror } from './redis/mirror.js';
import {
  APPLY_LUA,
  applyArgs,
  parseRows,
  ROW_FIELDS,
  routeKey,
  type StoreKeys,
  storeKeys,
} from './redis/scripts.js';
import type { OutcomeRecord, StatsStore } from './stats-store.js';

export interface RedisStatsStoreOptions {
  url: string;
  /** Prepended to every key and to the pub/sub channel (default `broke:`). */
  prefix?: string;
  /**
   * Full re-read of all statistics at this interval (default 30 s): the backstop that bounds
   * staleness when a pub/sub notification was lost. 0 turns it off.
   */
  refreshMs?: number;
  /** A write Redis has not accepted within this time rejects its promise (it stays queued). */
  ackTimeoutMs?: number;
  /** How long `loadStats` waits for the first connection. */
  connectTimeoutMs?: number;
  /** Outcomes queued while Redis is unreachable; beyond this new outcomes are refused. */
  maxQueuedOutcomes?: number;
  /** Approximate length of the shared outcome log (a capped stream). */
  maxOutcomes?: number;
  /**
   * How long a route's records stay findable by route id (default 7 days): what lets feedback on
   * a route count after a restart, or on another gateway than the one that routed it.
   */
  routeTtlSec?: number;
  /** Where warnings go (Redis lost / back, queue full); default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  done: boolean;
}

/** One write to Redis: applied by one script call, acknowledged as a whole. */
interface Batch {
  seq: number;
  outcomes: string[];
  /** The route id of each outcome, in the same order. */
  routeIds: string[];
  deltas: Deltas;
  waiters: Waiter[];
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
}

type ApplyCommand = (numKeys: number, ...args: Array<string | number>) => Promise<string>;

/**
 * Redis-backed statistics shared by several gateways.
 *
 * Same contract as SQLite: all aggregates are loaded at start and the router works from memory;
 * writes are queued and sent in one Lua script per batch (one batch in flight at a time; what
 * arrives meanwhile coalesces into the next). A write is acknowledged when Redis has run that
 * script. The script adds this gateway's evidence *deltas* (HINCRBYFLOAT), bumps a version per
 * statistic, appends outcomes to a capped stream and publishes the new absolutes.
 *
 * Other gateways' updates arrive by pub/sub (plus a full re-read every `refreshMs` and after a
 * reconnect). The store keeps, per statistic, the latest Redis value (by version) and this
 * process's evidence not yet in Redis; the router's copy is always their sum, pushed through
 * `subscribe`. Deltas are the difference between what the router upserts and that copy, so the
 * router must apply every pushed value (Router does when the store offers `subscribe`).
 *
 * Redis lost mid-run: routing is unaffected (it never waits on the store); batches are retried
 * after reconnect exactly once (a per-gateway sequence number makes a retried batch a no-op),
 * statistic deltas coalesce per key, at most `maxQueuedOutcomes` outcomes wait, and promises not
 * acknowledged within `ackTimeoutMs` reject with `store_unavailable` while the write stays queued.
 */
export class RedisStatsStore implements StatsStore {
  readonly prefix: string;
  private readonly url: string;
  private readonly origin = randomBytes(8).toString('hex');
  private readonly refreshMs: number;
  private readonly ackTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxQueuedOutcomes: number;
  private readonly maxOutcomes: number;
  private readonly routeTtlSec: number;
  private readonly warn: (message: string) => void;
  private readonly keys: StoreKeys;
  private cmd: Redis | undefined;
  private sub: Redis | undefined;
  private apply: ApplyCommand | undefined;
  /** The statistics as Redis last told them plus this process's evidence not yet there. */
  private readonly mirror = new StatMirror();
  private seq = 0;
  /** Batch being sent, or sent and failed (retried first, with the same seq). */
  private head: Batch | undefined;
  /** Writes accumulating behind the head. */
  private next: Batch | undefined;
  private sending = false;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private outage = false;
  private queueFullWarned = false;
  private refusedWarned = false;
  /** Redis `run_id`: a new one means the server restarted. */
  private runId: string | undefined;
  private closed = false;

  constructor(options: RedisStatsStoreOptions) {
    this.url = options.url;
    this.prefix = options.prefix ?? 'broke:';
    this.refreshMs = options.refreshMs ?? 30_000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.maxQueuedOutcomes = options.maxQueuedOutcomes ?? 10_000;
    this.maxOutcomes = options.maxOutcomes ?? 1_000_000;
    this.routeTtlSec = options.routeTtlSec ?? 7 * 24 * 3600;
    this.warn =
      options.onWarning ?? ((message) => process.emitWarning(message, { code: 'BROKE_REDIS_STORE' }));
    this.keys = storeKeys(this.prefix, this.origin);
  }

  async loadStats(): Promise<QualityStat[]> {
    if (this.closed) throw closedError();
    await this.connect();
    this.mirror.applyRows(await this.readAll(), false);
    return this.mirror.snapshot();
  }

  appendOutcome(record: OutcomeRecord): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    const batch = this.nextBatch();
    if (batch.outcomes.length >= this.maxQueuedOutcomes) {
      if (!this.queueFullWarned) {
        this.queueFullWarned = true;
        this.warn(
          `Redis stats store: ${this.maxQueuedOutcomes} outcomes already wait for ${this.where()}; newer outcomes are not logged until it accepts writes (learned statistics are still kept)`,
        );
      }
      return Promise.reject(
        new BrokeError('store_queue_full', 'Too many outcomes wait for Redis; this one was not logged', {
          hint: `check that Redis at ${this.where()} is reachable`,
          status: 503,
        }),
      );
    }
    batch.outcomes.push(JSON.stringify(record));
    batch.routeIds.push(record.routeId);
    return this.wait(batch);
  }

  upsertStats(stats: readonly QualityStat[]): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    const batch = this.nextBatch();
    this.mirror.record(stats, batch.deltas);
    return this.wait(batch);
  }

  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const batch = this.next ?? this.head;
    if (!batch) return Promise.resolve();
    return this.wait(batch);
  }

  /**
   * `onStat` receives the new value of every statistic another gateway changed (and corrections
   * of this one's); the caller replaces its in-memory copy with it. Returns the unsubscribe.
   */
  subscribe(onStat: (stat: QualityStat) => void): () => void {
    // Also pushes updates that arrived between loadStats and now.
    return this.mirror.subscribe(onStat);
  }

  /**
   * The records of one route, oldest first, from any gateway sharing this Redis (queued writes of
   * this one included): a restarted gateway rebuilds the route from them so feedback still counts.
   */
  async routeLog(routeId: string): Promise<OutcomeRecord[]> {
    if (this.closed) throw closedError();
    // A write Redis has not taken yet is not findable; what Redis holds still is.
    await this.flush().catch(() => undefined);
    const cmd = this.cmd;
    if (cmd?.status !== 'ready') return [];
    const records: OutcomeRecord[] = [];
    for (const text of await cmd.lrange(routeKey(this.prefix, routeId), 0, -1)) {
      try {
        const record = JSON.parse(text) as OutcomeRecord;
        if (record.routeId === routeId) records.push(record);
      } catch {
        // a value another writer corrupted is not a record of this route
      }
    }
    return records;
  }

  /**
   * Adds to a team's escalation spend for one UTC day (a hash per day, kept 3 days) and resolves
   * to the total across every gateway sharing this Redis.
   */
  async addSpend(day: string, team: string, amount: number): Promise<number> {
    if (this.closed) throw closedError();
    const cmd = this.cmd;
    if (cmd?.status !== 'ready')
      throw new BrokeError(
        'store_unavailable',
        `Redis at ${this.where()} is not connected: escalation spend not shared`,
      );
    const key = `${this.prefix}spend:${day}`;
    const [[, total]] = (await cmd
      .multi()
      .hincrbyfloat(key, team, amount)
      .expire(key, 3 * 86_400)
      .exec()) as [[unknown, string]];
    return Number(total);
  }

  async loadSpend(day: string): Promise<Record<string, number>> {
    const cmd = this.cmd;
    if (cmd?.status !== 'ready') return {};
    const all = await cmd.hgetall(`${this.prefix}spend:${day}`);
    return Object.fromEntries(Object.entries(all).map(([team, total]) => [team, Number(total)]));
  }

  /** Re-reads every statistic now (what the periodic refresh does). */
  async refresh(): Promise<void> {
    if (this.cmd?.status !== 'ready') return;
    this.mirror.applyRows(await this.readAll(), true);
  }

  /**
   * After Redis restarted (new run id) its versions may have started over and data may be gone:
   * take what it holds now as the truth, whatever the versions.
   */
  private async resync(): Promise<void> {
    const cmd = this.cmd;
    if (cmd?.status !== 'ready') return;
    const runId = await serverRunId(cmd);
    if (runId === this.runId) return this.refresh();
    this.runId = runId;
    this.mirror.resync(await this.readAll());
  }

  /** Writes queued or in flight (for tests and diagnostics). */
  get queued(): { outcomes: number; stats: number } {
    return {
      outcomes: (this.head?.outcomes.length ?? 0) + (this.next?.outcomes.length ?? 0),
      stats: (this.head?.deltas.size ?? 0) + (this.next?.deltas.size ?? 0),
    };
  }

  /** Outcomes in the shared log (approximate once it reaches `maxOutcomes`). */
  async countOutcomes(): Promise<number> {
    if (!this.cmd) return 0;
    return this.cmd.xlen(this.keys.outcomes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.cmd?.status === 'ready') {
      await withTimeout(this.flush(), Math.min(this.ackTimeoutMs, 2_000)).catch(() => undefined);
    }
    this.closed = true;
    this.mirror.unsubscribeAll();
    clearInterval(this.refreshTimer);
    clearTimeout(this.retryTimer);
    const lost = this.queued;
    if (lost.outcomes + lost.stats > 0)
      this.warn(
        `Redis stats store closed with ${lost.outcomes} outcomes and ${lost.stats} statistic updates not written to ${this.where()}`,
      );
    for (const batch of [this.head, this.next]) {
      if (!batch) continue;
      clearTimeout(batch.timer);
      for (const waiter of batch.waiters) settleWaiter(waiter, closedError());
    }
    this.head = undefined;
    this.next = undefined;
    await Promise.all([quit(this.cmd), quit(this.sub)]);
  }

  // --- connection -------------------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.cmd) return;
    const options = {
      lazyConnect: true,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: this.ackTimeoutMs,
      // Our own queue retries; ioredis must fail fast instead of queueing or resending.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      retryStrategy: (times: number) => (this.closed ? null : Math.min(100 * times, 1_000)),
    };
    let cmd: Redis;
    let sub: Redis;
    try {
      cmd = new Redis(this.url, options);
      sub = new Redis(this.url, options);
    } catch (cause) {
      throw new BrokeError('store_open_failed', `Invalid Redis URL ${this.where()}`, {
        cause,
        hint: 'store.url in broke.yaml takes the form redis://[user:password@]host:port[/db]',
      });
    }
    cmd.on('error', () => undefined);
    sub.on('error', () => undefined);
    try {
      await Promise.all([cmd.connect(), sub.connect()]);
      await sub.subscribe(this.keys.channel);
    } catch (cause) {
      cmd.disconnect();
      sub.disconnect();
      throw new BrokeError('store_unavailable', `Cannot reach Redis at ${this.where()}`, {
        cause,
        status: 503,
        hint: 'start Redis (e.g. `redis-server`) or fix store.url in broke.yaml; store.kind: sqlite needs no server',
      });
    }
    this.runId = await serverRunId(cmd).catch(() => undefined);
    cmd.defineCommand('brokeApply', { lua: APPLY_LUA });
    this.apply = (cmd as unknown as { brokeApply: ApplyCommand }).brokeApply.bind(cmd);
    this.cmd = cmd;
    this.sub = sub;
    sub.on('message', (_channel: string, message: string) => this.onMessage(message));
    cmd.on('close', () => this.lost());
    sub.on('close', () => this.lost());
    cmd.on('ready', () => this.regained());
    sub.on('ready', () => this.regained());
    if (this.refreshMs > 0) {
      this.refreshTimer = setInterval(() => {
        if (this.mirror.subscribed) this.refresh().catch(() => undefined);
      }, this.refreshMs);
      this.refreshTimer.unref();
    }
  }

  private lost(): void {
    if (this.closed || this.outage) return;
    this.outage = true;
    this.warn(
      `Redis at ${this.where()} is unreachable: routing continues from memory, writes are queued and retried`,
    );
  }

  private regained(): void {
    if (this.closed) return;
    const sub = this.sub;
    if (this.outage && this.cmd?.status === 'ready' && sub?.status === 'ready') {
      this.outage = false;
      this.queueFullWarned = false;
      const { outcomes, stats } = this.queued;
      this.warn(
        `Redis at ${this.where()} is reachable again; writing ${outcomes} queued outcomes and ${stats} statistic updates`,
      );
      // Notifications published while we were away are gone: subscribe again, then re-read.
      sub
        .subscribe(this.keys.channel)
        .then(() => this.resync())
        .catch(() => undefined);
    }
    this.schedule();
  }

  private where(): string {
    return redactUrl(this.url);
  }

  // --- writes -----------------------------------------------------------------------------

  private nextBatch(): Batch {
    if (!this.next) {
      const batch: Batch = {
        seq: 0,
        outcomes: [],
        routeIds: [],
        deltas: new Map(),
        waiters: [],
        settled: false,
        timer: undefined,
      };
      this.next = batch;
    }
    this.schedule();
    return this.next;
  }

  private wait(batch: Batch): Promise<void> {
    if (!batch.timer) {
      // Re-armed after it fires, so a waiter added later gets its own deadline too.
      batch.timer = setTimeout(() => this.timeOut(batch), this.ackTimeoutMs);
      batch.timer.unref();
    }
    return new Promise<void>((resolve, reject) => {
      batch.waiters.push({ resolve, reject, done: false });
    });
  }

  private timeOut(batch: Batch): void {
    batch.timer = undefined;
    const error = new BrokeError(
      'store_unavailable',
      `Redis at ${this.where()} did not acknowledge the write within ${this.ackTimeoutMs} ms; it is applied in memory and stays queued`,
      { status: 503, hint: 'check that Redis is running and reachable' },
    );
    for (const waiter of batch.waiters) settleWaiter(waiter, error);
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.sending || this.closed || !this.apply || this.cmd?.status !== 'ready') return;
    if (!this.head) {
      const batch = this.next;
      if (!batch) return;
      this.next = undefined;
      if (batch.outcomes.length === 0 && batch.deltas.size === 0) {
        clearTimeout(batch.timer);
        for (const waiter of batch.waiters) settleWaiter(waiter);
        return;
      }
      batch.seq = ++this.seq;
      this.head = batch;
    }
    this.send(this.head);
  }

  private send(batch: Batch): void {
    const apply = this.apply as ApplyCommand;
    const settings = {
      prefix: this.prefix,
      keys: this.keys,
      origin: this.origin,
      maxOutcomes: this.maxOutcomes,
      routeTtlSec: this.routeTtlSec,
    };
    this.sending = true;
    apply(
      ...applyArgs(settings, {
        seq: batch.seq,
        outcomes: batch.outcomes,
        routeIds: batch.routeIds,
        deltas: batch.deltas.values(),
      }),
    ).then(
      (reply) => {
        this.sending = false;
        this.refusedWarned = false;
        if (this.head === batch) this.head = undefined;
        clearTimeout(batch.timer);
        this.settle(batch);
        if (!this.closed) this.mirror.applyRows(parseRows(JSON.parse(reply)), true);
        for (const waiter of batch.waiters) settleWaiter(waiter);
        this.schedule();
      },
      (error: unknown) => {
        this.sending = false;
        if (this.closed) return;
        if (this.cmd?.status === 'ready' && !this.outage && !this.refusedWarned) {
          // Redis answered with an error (OOM, READONLY…), not a lost connection.
          this.refusedWarned = true;
          this.warn(`Redis at ${this.where()} refused a stats write (${errorText(error)}); retrying`);
        }
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.pump(), 500);
        this.retryTimer.unref();
      },
    );
  }

  /** This batch's evidence is in Redis: take it out of the pending sums. */
  private settle(batch: Batch): void {
    if (batch.settled) return;
    batch.settled = true;
    this.mirror.settle(batch.deltas);
  }

  // --- reads and notifications ------------------------------------------------------------

  private onMessage(message: string): void {
    if (this.closed) return;
    let parsed: { o?: unknown; q?: unknown; s?: unknown };
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    // Our own batch, echoed before its reply arrived: its evidence is now in the absolutes.
    if (parsed.o === this.origin && this.head && parsed.q === this.head.seq) this.settle(this.head);
    this.mirror.applyRows(parseRows(parsed.s), true);
  }

  private async readAll(): Promise<Row[]> {
    const cmd = this.cmd as Redis;
    const keys = await cmd.smembers(this.keys.index);
    const rows: Row[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const pipeline = cmd.pipeline();
      for (const key of keys.slice(i, i + 500)) pipeline.hmget(key, ...ROW_FIELDS);
      const replies = (await pipeline.exec()) ?? [];
      for (const [error, values] of replies) {
        if (error) throw error;
        rows.push(...parseRows([values]));
      }
    }
    return rows;
  }
}

async function serverRunId(client: Redis): Promise<string | undefined> {
  const info = await client.info('server');
  return /run_id:(\w+)/.exec(info)?.[1];
}

function settleWaiter(waiter: Waiter, error?: unknown): void {
  if (waiter.done) return;
  waiter.done = true;
  if (error === undefined) waiter.resolve();
  else waiter.reject(error);
}

async function quit(client: Redis | undefined): Promise<void> {
  if (!client) return;
  if (client.status === 'ready') {
    try {
      await withTimeout(client.quit(), 1_000);
      return;
    } catch {
      // fall through
    }
  }
  client.disconnect();
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function closedError(): BrokeError {
  return new BrokeError('store_closed', 'The stats store is closed');
}
