import type { TaskType } from '../context/agent-context.js';
import type { QualityTemperature } from '../learning/quality-temperature.js';
import { RingBuffer } from '../stores/ring-buffer.js';

/** One route as the listing shows it; the router updates it as the outcome and feedback arrive. */
export interface RouteSummary {
  id: string;
  /** Position in the log: later routes have larger numbers (the listing's cursor). */
  seq: number;
  /** Routed at, ms since the epoch. */
  at: number;
  role?: string;
  team?: string;
  sessionId?: string;
  framework?: string;
  depth?: number;
  taskType: TaskType;
  nodeId: string;
  modelId: string;
  status: 'pending' | 'ok' | 'error';
  latencyMs?: number;
  tokens?: number;
  error?: string;
  /** The key digest that made the route (see RouteRequest.owner). */
  owner?: string;
  /** Judged feedback so far: how many ratings, and their mean reward (0..1). */
  feedback: { count: number; meanScore: number | null };
  /** The answer's quality temperature as returned to the caller (routeTemperature). */
  temperature?: QualityTemperature;
}

export interface RouteQuery {
  session?: string;
  team?: string;
  role?: string;
  model?: string;
  node?: string;
  /** ms since the epoch, inclusive. */
  since?: number;
  until?: number;
  /** Only this caller's routes (undefined: everyone's). */
  owner?: string;
  /** Only routes older than this position (the previous page's `nextCursor`). */
  before?: number;
  limit: number;
}

/**
 * "The last n routes of this role in this session", for feedback without route ids. At least one
 * of session, team, role; without a session, the newest matching routes in any session.
 */
export interface RouteSelection {
  /** Only this caller's routes (undefined: everyone's). */
  owner?: string;
  session?: string;
  team?: string;
  role?: string;
  last: number;
}

/** Roles match case-insensitively and trimmed, the way the router learns them. */
const sameRole = (a: string | undefined, b: string) => a?.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The recent routes, newest first, for `GET /v1/routes` and selection feedback. A ring of the
 * same size as the router's explanation memory: what is listed can still be explained and rated.
 */
export class RouteLog {
  private readonly ring: RingBuffer<RouteSummary>;
  private seq = 0;

  constructor(capacity: number) {
    this.ring = new RingBuffer(capacity);
  }

  /** Logs the route (numbering it) and returns the same object, which the router keeps updating. */
  add(summary: RouteSummary): RouteSummary {
    summary.seq = ++this.seq;
    this.ring.push(summary);
    return summary;
  }

  list(q: RouteQuery): { data: RouteSummary[]; nextCursor?: number } {
    const data: RouteSummary[] = [];
    for (const r of this.ring.newestFirst()) {
      if (q.before !== undefined && r.seq >= q.before) continue;
      if (q.since !== undefined && r.at < q.since) break; // newest first: all the rest are older
      if (!matches(r, q)) continue;
      if (data.length === q.limit) return { data, nextCursor: (data.at(-1) as RouteSummary).seq };
      data.push(r);
    }
    return { data };
  }

  /** The selected routes, newest first (empty when the session or role has none). */
  select(sel: RouteSelection): RouteSummary[] {
    const out: RouteSummary[] = [];
    for (const r of this.ring.newestFirst()) {
      if (sel.owner !== undefined && r.owner !== sel.owner) continue;
      if (sel.session !== undefined && r.sessionId !== sel.session) continue;
      if (sel.team !== undefined && r.team !== sel.team) continue;
      if (sel.role !== undefined && !sameRole(r.role, sel.role)) continue;
      out.push(r);
      if (out.length === sel.last) break;
    }
    return out;
  }
}

function matches(r: RouteSummary, q: RouteQuery): boolean {
  if (q.owner !== undefined && r.owner !== q.owner) return false;
  if (q.until !== undefined && r.at > q.until) return false;
  if (q.session !== undefined && r.sessionId !== q.session) return false;
  if (q.team !== undefined && r.team !== q.team) return false;
  if (q.role !== undefined && !sameRole(r.role, q.role)) return false;
  if (q.model !== undefined && r.modelId !== q.model) return false;
  if (q.node !== undefined && r.nodeId !== q.node) return false;
  return true;
}
