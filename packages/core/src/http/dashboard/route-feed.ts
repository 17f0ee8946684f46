import type { RouteSummary } from '../../routing/route-log.js';
import type { RouteExplanation } from '../../routing/types.js';
import type { RouterLike } from '../../serving/router-like.js';

/** One route as the dashboard's table shows it (the listing's line, plus what the decision did). */
export interface RouteRow {
  id: string;
  seq: number;
  /** Routed at, ms since the epoch. */
  at: number;
  role: string | null;
  team: string | null;
  session: string | null;
  framework: string | null;
  taskType: string;
  node: string;
  model: string;
  status: RouteSummary['status'];
  latencyMs: number | null;
  tokens: number | null;
  error: string | null;
  feedback: { count: number; meanScore: number | null };
  /** Chosen by exploration (Thompson sampling) rather than the best prediction; null once forgotten. */
  explored: boolean | null;
  /** Attempts that failed before the one that served (failovers). */
  failovers: number;
}

/** A judgement that arrived for a route (the score derived from the route's running mean). */
export interface FeedbackEvent {
  at: number;
  routeId: string;
  role: string | null;
  team: string | null;
  session: string | null;
  node: string;
  model: string;
  score: number;
  /** Ratings of this route so far. */
  count: number;
}

/** A change, with the key digest that owns the route (never sent: it decides who may see it). */
export interface Owned<T> {
  owner: string | undefined;
  item: T;
}

export interface RouteChanges {
  /** New routes and routes whose status, server or feedback changed, oldest first. */
  rows: Owned<RouteRow>[];
  feedback: Owned<FeedbackEvent>[];
  /** Routes that finished since the last poll (their latency feeds the per-node charts). */
  finished: RouteRow[];
  /** New routes this poll, and how many of them explored. */
  routed: number;
  explored: number;
  /** New routes beyond `maxNew` that were not sent (a burst faster than the dashboard shows). */
  skipped: number;
}

interface Tracked {
  ref: RouteSummary;
  status: RouteSummary['status'];
  node: string;
  feedbackCount: number;
  feedbackMean: number | null;
}

/**
 * Turns the router's route log into a stream of changes by looking at it, so the request path
 * pays nothing for the dashboard: route summaries are objects the router updates in place
 * (status, latency, feedback), so a poll compares the newest `window` of them with what it last
 * saw. Polled by the dashboard hub only while someone watches.
 */
export class RouteFeed {
  private lastSeq = 0;
  private lastAt = 0;
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly router: RouterLike,
    private readonly window = 1000,
    private readonly maxNew = 500,
  ) {}

  /** Start from now: what was routed before is the backlog, not news. */
  reset(): void {
    this.tracked.clear();
    const newest = this.router.listRoutes({ limit: 1 }).data[0];
    this.lastSeq = newest?.seq ?? 0;
    this.lastAt = newest?.at ?? 0;
  }

  /** The newest routes a viewer may see, oldest first (a new client's first page). */
  backlog(limit: number, owner: string | undefined): RouteRow[] {
    const page = this.router.listRoutes({ limit, ...(owner !== undefined ? { owner } : {}) });
    return page.data.map((r) => this.row(r)).reverse();
  }

  poll(now = Date.now()): RouteChanges {
    const changes: RouteChanges = {
      rows: [],
      feedback: [],
      finished: [],
      routed: 0,
      explored: 0,
      skipped: 0,
    };
    // Updates first (they are older than anything new), then the new routes.
    for (const t of this.tracked.values()) {
      const r = t.ref;
      const count = r.feedback.count;
      if (r.status === t.status && r.nodeId === t.node && count === t.feedbackCount) continue;
      const row = this.row(r);
      changes.rows.push({ owner: r.owner, item: row });
      if (t.status === 'pending' && r.status !== 'pending') changes.finished.push(row);
      if (count > t.feedbackCount) {
        // The router keeps a running mean: the newest score is what moved it.
        const before = (t.feedbackMean ?? 0) * t.feedbackCount;
        const score = (r.feedback.meanScore ?? 0) * count - before;
        changes.feedback.push({ owner: r.owner, item: feedbackEvent(row, clamp01(score), count, now) });
      }
      t.status = r.status;
      t.node = r.nodeId;
      t.feedbackCount = count;
      t.feedbackMean = r.feedback.meanScore;
    }
    const fresh = this.router
      .listRoutes({ limit: this.maxNew + 1, since: this.lastAt })
      .data.filter((r) => r.seq > this.lastSeq);
    if (fresh.length > this.maxNew) {
      // At least one more than we take: count the rest as skipped from the log's positions.
      const kept = fresh.slice(0, this.maxNew);
      changes.skipped = (fresh[0] as RouteSummary).seq - this.lastSeq - kept.length;
      fresh.length = this.maxNew;
    }
    for (const r of fresh.reverse()) {
      const row = this.row(r);
      changes.rows.push({ owner: r.owner, item: row });
      changes.routed += 1;
      if (row.explored) changes.explored += 1;
      if (r.status !== 'pending') changes.finished.push(row);
      // Rated before this poll first saw it (made and judged within one tick).
      if (r.feedback.count > 0)
        changes.feedback.push({
          owner: r.owner,
          item: feedbackEvent(row, r.feedback.meanScore ?? 0, r.feedback.count, now),
        });
      this.track(r);
      this.lastSeq = r.seq;
      this.lastAt = r.at;
    }
    return changes;
  }

  private track(r: RouteSummary): void {
    this.tracked.set(r.id, {
      ref: r,
      status: r.status,
      node: r.nodeId,
      feedbackCount: r.feedback.count,
      feedbackMean: r.feedback.meanScore,
    });
    // Oldest out first (a Map iterates in insertion order).
    if (this.tracked.size > this.window) this.tracked.delete(this.tracked.keys().next().value as string);
  }

  private row(r: RouteSummary): RouteRow {
    const detail = this.detail(r.id);
    return {
      id: r.id,
      seq: r.seq,
      at: r.at,
      role: r.role ?? null,
      team: r.team ?? null,
      session: r.sessionId ?? null,
      framework: r.framework ?? null,
      taskType: r.taskType,
      node: r.nodeId,
      model: r.modelId,
      status: r.status,
      latencyMs: r.latencyMs === undefined ? null : Math.round(r.latencyMs),
      tokens: r.tokens ?? null,
      error: r.error ?? null,
      feedback: { count: r.feedback.count, meanScore: r.feedback.meanScore },
      explored: detail ? detail.explored : null,
      failovers: detail ? detail.attempts.filter((a) => !a.ok).length : 0,
    };
  }

  /** The kept explanation, when the router answers synchronously (the built-in one does). */
  private detail(id: string): RouteExplanation | undefined {
    const e = this.router.explain(id);
    if (e instanceof Promise) {
      e.catch(() => undefined); // not waited for: a custom router's failure must not go unhandled
      return undefined;
    }
    return e;
  }
}

function feedbackEvent(row: RouteRow, score: number, count: number, at: number): FeedbackEvent {
  return {
    at,
    routeId: row.id,
    role: row.role,
    team: row.team,
    session: row.session,
    node: row.node,
    model: row.model,
    score: Math.round(score * 1000) / 1000,
    count,
  };
}

const clamp01 = (x: number) => Math.min(Math.max(x, 0), 1);
