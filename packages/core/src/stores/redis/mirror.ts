import { type QualityStat, statKey } from '../../learning/quality-stat.js';

/** A statistic as Redis holds it, with its version (incremented by every write). */
export interface Row extends QualityStat {
  v: number;
}

/** Evidence this process adds to one statistic (same shape as the statistic itself). */
export type Delta = QualityStat;

/** The deltas of one write batch, by stat key (the batch settles them as a whole). */
export type Deltas = Map<string, Delta>;

interface Entry {
  /** Latest Redis value seen (reply, notification or re-read). */
  base: Row | undefined;
  /** This process's evidence not yet applied in Redis (queued or in flight). */
  pending: { alpha: number; beta: number; n: number };
  pendingBatches: number;
  /** What the router holds for this statistic. */
  view: QualityStat;
}

/**
 * The store's copy of the shared statistics, without any Redis: per statistic the latest Redis
 * value by version (base) plus this process's evidence Redis has not applied yet (pending). The
 * router's view is always their sum; changes to it are pushed to the listener. Kept apart from
 * the client so the versioning rules are unit-tested without a server.
 */
export class StatMirror {
  private readonly entries = new Map<string, Entry>();
  private listener: ((stat: QualityStat) => void) | undefined;

  /**
   * The router's new values: the difference from its current view is this process's evidence,
   * added to `deltas` (the batch that will carry it to Redis) and to the pending sums.
   */
  record(stats: readonly QualityStat[], deltas: Deltas): void {
    for (const stat of stats) {
      const key = statKey(stat);
      const entry = this.entry(key, stat);
      const dAlpha = stat.alpha - entry.view.alpha;
      const dBeta = stat.beta - entry.view.beta;
      const dN = Math.round(stat.n - entry.view.n);
      entry.view = { ...stat };
      let delta = deltas.get(key);
      if (!delta) {
        delta = { ...stat, alpha: 0, beta: 0, n: 0 };
        deltas.set(key, delta);
        entry.pendingBatches++;
      }
      delta.alpha += dAlpha;
      delta.beta += dBeta;
      delta.n += dN;
      delta.updatedAt = Math.max(delta.updatedAt, stat.updatedAt);
      entry.pending.alpha += dAlpha;
      entry.pending.beta += dBeta;
      entry.pending.n += dN;
    }
  }

  /** A batch's evidence is in Redis: take it out of the pending sums (call once per batch). */
  settle(deltas: ReadonlyMap<string, Delta>): void {
    for (const [key, delta] of deltas) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      entry.pendingBatches--;
      if (entry.pendingBatches <= 0) {
        // Nothing else pending: reset exactly, so float residue never accumulates.
        entry.pendingBatches = 0;
        entry.pending = { alpha: 0, beta: 0, n: 0 };
      } else {
        entry.pending.alpha -= delta.alpha;
        entry.pending.beta -= delta.beta;
        entry.pending.n -= delta.n;
      }
    }
  }

  /** Newer Redis values (by version) replace the base; with `push` the listener gets the change. */
  applyRows(rows: readonly Row[], push: boolean): void {
    for (const row of rows) {
      const entry = this.entry(statKey(row), rowStat(row));
      if (!entry.base || row.v > entry.base.v) entry.base = row;
      if (push) this.refreshView(entry);
    }
  }

  /**
   * Redis restarted: its versions may have started over and data may be gone, so what it holds
   * now replaces every base whatever the versions (pending evidence is kept: it is still queued).
   */
  resync(rows: readonly Row[]): void {
    for (const entry of this.entries.values()) entry.base = undefined;
    this.applyRows(rows, false);
    for (const entry of this.entries.values()) this.refreshView(entry);
  }

  /** Every statistic's current value (base + pending), which becomes the router's view. */
  snapshot(): QualityStat[] {
    const stats: QualityStat[] = [];
    for (const entry of this.entries.values()) {
      entry.view = current(entry);
      stats.push({ ...entry.view });
    }
    return stats;
  }

  /** The router's copy of one statistic, if the mirror knows it. */
  view(key: Parameters<typeof statKey>[0]): QualityStat | undefined {
    const entry = this.entries.get(statKey(key));
    return entry ? { ...entry.view } : undefined;
  }

  /**
   * `onStat` receives every change of the router's view from now on (and at once those that
   * arrived since the last snapshot). Returns the unsubscribe.
   */
  subscribe(onStat: (stat: QualityStat) => void): () => void {
    this.listener = onStat;
    for (const entry of this.entries.values()) this.refreshView(entry);
    return () => {
      if (this.listener === onStat) this.listener = undefined;
    };
  }

  /** Drops the listener (the store is closing). */
  unsubscribeAll(): void {
    this.listener = undefined;
  }

  get subscribed(): boolean {
    return this.listener !== undefined;
  }

  /** The entry of `key`, created empty (view of no evidence) from `seed`'s key fields if new. */
  private entry(key: string, seed: QualityStat): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        base: undefined,
        pending: { alpha: 0, beta: 0, n: 0 },
        pendingBatches: 0,
        view: { ...seed, alpha: 0, beta: 0, n: 0 },
      };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private refreshView(entry: Entry): void {
    if (!this.listener) return;
    const next = current(entry);
    const view = entry.view;
    if (
      Math.abs(next.alpha - view.alpha) < 1e-12 &&
      Math.abs(next.beta - view.beta) < 1e-12 &&
      next.n === view.n &&
      next.updatedAt === view.updatedAt
    )
      return;
    entry.view = next;
    this.listener({ ...next });
  }
}

function current(entry: Entry): QualityStat {
  const base = entry.base;
  const stat = base ? rowStat(base) : { ...entry.view, alpha: 0, beta: 0, n: 0 };
  return {
    ...stat,
    alpha: Math.max(0, stat.alpha + entry.pending.alpha),
    beta: Math.max(0, stat.beta + entry.pending.beta),
    n: Math.max(0, stat.n + entry.pending.n),
    updatedAt: Math.max(stat.updatedAt, entry.view.updatedAt),
  };
}

/** Only the statistic's own fields (a Row also carries its version). */
function rowStat(stat: QualityStat): QualityStat {
  return {
    team: stat.team,
    role: stat.role,
    taskType: stat.taskType,
    modelId: stat.modelId,
    band: stat.band,
    alpha: stat.alpha,
    beta: stat.beta,
    n: stat.n,
    updatedAt: stat.updatedAt,
  };
}
