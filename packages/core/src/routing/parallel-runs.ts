/** Entries kept per session: a crew runs a handful of tasks at once, never thousands. */
const MAX_PER_SESSION = 64;
/** Sessions tracked at once (oldest forgotten first). */
const MAX_SESSIONS = 10_000;

/** A session's requests in flight: when each should finish (router clock), on which node, for which role. */
export interface RunInFlight {
  readonly finishAt: readonly number[];
  readonly node: readonly number[];
  readonly role: readonly string[];
}

interface Entries {
  finishAt: number[];
  node: number[];
  role: string[];
}

/**
 * The requests in flight per session (a crew run, an AutoGen chat), with when each should finish,
 * where it runs and for which role: when a run has several agents working at once it goes on only
 * when the last of them is done (the team-slack factor). Only other roles count as parallel
 * agents: one role's turns follow each other (a caller that never reports outcomes must not look
 * like a crowd). Entries leave with the route's outcome; stale ones stop counting once their time
 * has passed.
 */
export class ParallelRuns {
  private readonly bySession = new Map<string, Entries>();

  /**
   * What a request of `role` in the session waits for: the requests of other roles still due
   * after `now` (undefined: none, the common case, with no allocation). A copy: the route's
   * explanation reads it after the fact, when the live entries have moved on.
   */
  of(sessionId: string | undefined, role: string, now: number): RunInFlight | undefined {
    const entries = sessionId === undefined ? undefined : this.bySession.get(sessionId);
    if (!entries) return undefined;
    let run: { finishAt: number[]; node: number[]; role: string[] } | undefined;
    for (let i = 0; i < entries.finishAt.length; i++) {
      if (entries.role[i] === role || (entries.finishAt[i] as number) <= now) continue;
      run ??= { finishAt: [], node: [], role: [] };
      run.finishAt.push(entries.finishAt[i] as number);
      run.node.push(entries.node[i] as number);
      run.role.push(entries.role[i] as string);
    }
    return run;
  }

  /**
   * A request of the session was routed to node `node`, predicted to finish at `finishAt`. Its
   * siblings on the same node now share it: each is slowed by `slowdown` (batchSlowdown).
   */
  add(
    sessionId: string | undefined,
    role: string,
    finishAt: number,
    node: number,
    slowdown: number,
    now: number,
  ): void {
    if (sessionId === undefined) return;
    let entries = this.bySession.get(sessionId);
    if (!entries) {
      if (this.bySession.size >= MAX_SESSIONS) {
        const oldest = this.bySession.keys().next().value as string;
        this.bySession.delete(oldest);
      }
      entries = { finishAt: [], node: [], role: [] };
      this.bySession.set(sessionId, entries);
    }
    for (let i = entries.finishAt.length - 1; i >= 0; i--) {
      const at = entries.finishAt[i] as number;
      if (at < now) drop(entries, i);
      else if (entries.node[i] === node) entries.finishAt[i] = now + (at - now) * (1 + slowdown);
    }
    if (entries.finishAt.length >= MAX_PER_SESSION) drop(entries, 0);
    entries.finishAt.push(finishAt);
    entries.node.push(node);
    entries.role.push(role);
  }

  /** The request finished (or failed): it no longer holds the run up. */
  remove(sessionId: string | undefined, node: number, routedFinishAt: number, now: number): void {
    if (sessionId === undefined) return;
    const entries = this.bySession.get(sessionId);
    if (!entries) return;
    // Its entry may have been pushed back by siblings since; take the one on its node closest to
    // (at or after) what it was routed with.
    let best = -1;
    for (let i = 0; i < entries.finishAt.length; i++) {
      if (entries.node[i] !== node || (entries.finishAt[i] as number) < routedFinishAt) continue;
      if (best < 0 || (entries.finishAt[i] as number) < (entries.finishAt[best] as number)) best = i;
    }
    if (best < 0) best = entries.node.indexOf(node);
    if (best >= 0) drop(entries, best);
    for (let i = entries.finishAt.length - 1; i >= 0; i--)
      if ((entries.finishAt[i] as number) < now) drop(entries, i);
    if (entries.finishAt.length === 0) this.bySession.delete(sessionId);
  }

  get sessions(): number {
    return this.bySession.size;
  }
}

function drop(entries: Entries, i: number): void {
  entries.finishAt.splice(i, 1);
  entries.node.splice(i, 1);
  entries.role.splice(i, 1);
}

/**
 * Milliseconds until the run can go on if this request goes to `node`: its siblings elsewhere
 * finish as predicted, those on `node` are slowed by one more request beside them.
 */
export function runWaitMs(run: RunInFlight, node: number, slowdown: number, now: number): number {
  let wait = 0;
  for (let e = 0; e < run.finishAt.length; e++) {
    let left = (run.finishAt[e] as number) - now;
    if (left <= 0) continue;
    if (run.node[e] === node) left *= 1 + slowdown;
    if (left > wait) wait = left;
  }
  return wait;
}
