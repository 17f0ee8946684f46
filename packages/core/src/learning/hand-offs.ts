import { BoundedLru } from '../bounded-lru.js';

/** One turn of a session: which role spoke and which model answered it. */
export interface Turn {
  role: string;
  modelId: string;
}

/** What the statistics say about giving `role` model `modelId` right after `after`. */
export interface HandOffEstimate {
  /** Quality points to add to the prediction (shrunk toward 0 while evidence is thin). */
  delta: number;
  /** Sessions that had this hand-off. */
  sessions: number;
  /** Their mean outcome. */
  mean: number;
  /** Mean outcome of sessions with this hand-off to any model (what `mean` is compared to). */
  baseline: number;
  after: Turn;
}

interface Stat {
  sum: number;
  n: number;
}

/** Sessions of evidence at which a hand-off's deviation counts half. */
const SHRINK_SESSIONS = 3;
/** The most a hand-off statistic moves a prediction: it refines the per-request quality, never replaces it. */
const MAX_DELTA = 0.2;

const SEP = '\u0001';

/**
 * Which model combinations work well together: session outcomes (a crew run rated as a whole)
 * credited to each hand-off in the session, i.e. each consecutive pair "role A answered by model
 * X, then role B by model Y". At B's next turn after A on X, models whose sessions ended better
 * than that hand-off's average gain quality points; worse ones lose them. So a drafter on a small
 * model can be fine when the reviewer after it gets the large one, and the router learns to give
 * the reviewer the large one after a small drafter.
 *
 * Bounded: the newest turn of the last `sessions` sessions, and the last `pairs` hand-off keys
 * (team × previous role × previous model × role), each with one count per model.
 */
export class HandOffs {
  private readonly lastTurns: BoundedLru<string, Turn>;
  private readonly pairs: BoundedLru<string, Map<string, Stat>>;

  constructor(capacity: { sessions?: number; pairs?: number } = {}) {
    this.lastTurns = new BoundedLru(capacity.sessions ?? 100_000);
    this.pairs = new BoundedLru(capacity.pairs ?? 10_000);
  }

  /** The session's newest turn (what the next turn hands off from). */
  previous(sessionId: string | undefined): Turn | undefined {
    return sessionId === undefined ? undefined : this.lastTurns.peek(sessionId);
  }

  /** A turn was routed: it is what the session's next turn follows. */
  noteTurn(sessionId: string | undefined, role: string | undefined, modelId: string): void {
    if (sessionId === undefined || role === undefined) return;
    const known = this.lastTurns.peek(sessionId);
    if (known && known.role === role && known.modelId === modelId) return;
    this.lastTurns.set(sessionId, { role, modelId });
  }

  /**
   * A whole session's outcome (0..1), given its turns oldest first: each distinct hand-off in it
   * is credited once. Turns without a role are skipped; a role answering itself is no hand-off.
   * Returns how many hand-offs were credited.
   */
  credit(team: string, turns: readonly Turn[], score: number): number {
    const seen = new Set<string>();
    let credited = 0;
    for (let t = 1; t < turns.length; t++) {
      const from = turns[t - 1] as Turn;
      const to = turns[t] as Turn;
      if (from.role === to.role) continue;
      const key = pairKey(team, from, to.role);
      const once = `${key}${SEP}${to.modelId}`;
      if (seen.has(once)) continue;
      seen.add(once);
      let models = this.pairs.get(key);
      if (!models) {
        models = new Map();
        this.pairs.set(key, models);
      }
      const stat = models.get(to.modelId) ?? { sum: 0, n: 0 };
      stat.sum += score;
      stat.n += 1;
      models.set(to.modelId, stat);
      credited++;
    }
    return credited;
  }

  /**
   * The hand-off estimate for giving `role` model `modelId` after `after`, into `out`; false when
   * there is no evidence for this model after this turn.
   */
  estimate(team: string, after: Turn, role: string, modelId: string, out: HandOffEstimate): boolean {
    const models = this.pairs.peek(pairKey(team, after, role));
    const stat = models?.get(modelId);
    if (!models || !stat || stat.n === 0) return false;
    let sum = 0;
    let n = 0;
    for (const s of models.values()) {
      sum += s.sum;
      n += s.n;
    }
    const mean = stat.sum / stat.n;
    const baseline = sum / n;
    const raw = (mean - baseline) * (stat.n / (stat.n + SHRINK_SESSIONS));
    out.delta = Math.max(-MAX_DELTA, Math.min(MAX_DELTA, raw));
    out.sessions = stat.n;
    out.mean = mean;
    out.baseline = baseline;
    out.after = after;
    return true;
  }

  /** Whether any session outcome was credited yet (before that there is nothing to look up). */
  get learned(): boolean {
    return this.pairs.size > 0;
  }

  get size(): { sessions: number; pairs: number } {
    return { sessions: this.lastTurns.size, pairs: this.pairs.size };
  }
}

function pairKey(team: string, from: Turn, role: string): string {
  return `${team}${SEP}${from.role}${SEP}${from.modelId}${SEP}${role}`;
}
