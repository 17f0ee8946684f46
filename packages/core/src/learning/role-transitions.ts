import { BoundedLru } from '../bounded-lru.js';

/** One learned transition: how often `to` spoke right after a role, and how soon on average. */
export interface RoleTransition {
  to: string;
  count: number;
  /** count / all transitions seen from that role. */
  probability: number;
  /** Mean time between the two turns' routes (ms). */
  meanGapMs: number;
}

export interface RoleTransitionsOptions {
  /** Teams kept (least recently seen dropped first). Default 256. */
  maxTeams?: number;
  /** Distinct roles followed per team; a new one beyond it is not learned. Default 64. */
  maxRoles?: number;
  /** Sessions (or teams without sessions) whose last turn is remembered. Default 10 000. */
  maxSessions?: number;
  /**
   * Once a role has this many transitions counted, every count from it halves, so the pattern
   * follows a team whose turn order changes. Default 200.
   */
  maxCount?: number;
}

interface Edge {
  count: number;
  meanGapMs: number;
}

/** Transitions from one role: to each next role, with their total. */
interface From {
  total: number;
  to: Map<string, Edge>;
}

/**
 * Per team, which role speaks after which and how soon, learned from the route stream:
 * consecutive routes of one session, or of one team when a request names no session. Bounded in
 * teams, roles per team and sessions remembered. Pure: time comes in with each observation.
 */
export class RoleTransitions {
  private readonly teams: BoundedLru<string, Map<string, From>>;
  private readonly last: BoundedLru<string, { role: string; at: number }>;
  private readonly maxRoles: number;
  private readonly maxCount: number;

  constructor(options: RoleTransitionsOptions = {}) {
    this.teams = new BoundedLru(options.maxTeams ?? 256);
    this.last = new BoundedLru(options.maxSessions ?? 10_000);
    this.maxRoles = options.maxRoles ?? 64;
    this.maxCount = options.maxCount ?? 200;
  }

  /** A route of `role` in `team` at time `at` (ms); `sessionId` absent: the team is the sequence. */
  observe(team: string, role: string, sessionId: string | undefined, at: number): void {
    const key = sessionId === undefined ? `t\u0001${team}` : `s\u0001${team}\u0001${sessionId}`;
    const previous = this.last.peek(key);
    this.last.set(key, { role, at });
    if (!previous) return;
    let roles = this.teams.get(team);
    if (!roles) {
      roles = new Map();
      this.teams.set(team, roles);
    }
    let from = roles.get(previous.role);
    if (!from) {
      if (roles.size >= this.maxRoles) return;
      from = { total: 0, to: new Map() };
      roles.set(previous.role, from);
    }
    let edge = from.to.get(role);
    if (!edge) {
      if (from.to.size >= this.maxRoles) return;
      edge = { count: 0, meanGapMs: 0 };
      from.to.set(role, edge);
    }
    const gap = Math.max(0, at - previous.at);
    edge.count += 1;
    edge.meanGapMs += (gap - edge.meanGapMs) / edge.count;
    from.total += 1;
    if (from.total >= this.maxCount) halve(from);
  }

  /** Transitions seen from `role` in `team` (the evidence behind `next`). */
  seen(team: string, role: string): number {
    return this.teams.peek(team)?.get(role)?.total ?? 0;
  }

  /** Roles that followed `role` in `team`, most likely first. */
  next(team: string, role: string): RoleTransition[] {
    const from = this.teams.peek(team)?.get(role);
    if (!from || from.total === 0) return [];
    return [...from.to]
      .filter(([, edge]) => edge.count > 0)
      .map(([to, edge]) => ({
        to,
        count: edge.count,
        probability: edge.count / from.total,
        meanGapMs: edge.meanGapMs,
      }))
      .sort((a, b) => b.count - a.count || a.to.localeCompare(b.to));
  }
}

/** Old evidence weighs half: counts halve (rounded down), means stay. */
function halve(from: From): void {
  let total = 0;
  for (const [role, edge] of from.to) {
    edge.count = Math.floor(edge.count / 2);
    if (edge.count === 0) from.to.delete(role);
    total += edge.count;
  }
  from.total = total;
}
