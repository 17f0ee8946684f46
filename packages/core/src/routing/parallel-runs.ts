/** Entries kept per session: a crew runs a handful of tasks at once, never thousands. */
const MAX_PER_SESSION = 64;
/** Sessions tracked at once (oldest forgotten first). */
const MAX_SESSIONS = 10_000;

/**
 * Predicted finish times of the requests in flight per session (a crew run, an AutoGen chat):
 * when a run has several agents working at once it goes on only when the last of them is done,
 * so a new request of the same run gains nothing by finishing before that (the team-slack
 * factor). Only what is in flight: entries leave with the route's outcome, and stale ones (a
 * route that never reported) stop counting once their time has passed.
 */
export class ParallelRuns {
  private readonly bySession = new Map<string, number[]>();

  /** Milliseconds from `now` until the session's other requests in flight should be done (0: none). */
  slackMs(sessionId: string | undefined, now: number): number {
    if (sessionId === undefined) return 0;
    const finishes = this.bySession.get(sessionId);
    if (!finishes) return 0;
    let last = now;
    for (const at of finishes) if (at > last) last = at;
    return last - now;
  }

  /** A request of the session was routed, predicted to finish at `finishAt`. */
  add(sessionId: string | undefined, finishAt: number, now: number): void {
    if (sessionId === undefined) return;
    let finishes = this.bySession.get(sessionId);
    if (!finishes) {
      if (this.bySession.size >= MAX_SESSIONS) {
        const oldest = this.bySession.keys().next().value as string;
        this.bySession.delete(oldest);
      }
      finishes = [];
      this.bySession.set(sessionId, finishes);
    }
    // Routes that never reported and whose time has long passed stop counting.
    for (let i = finishes.length - 1; i >= 0; i--) if ((finishes[i] as number) < now) finishes.splice(i, 1);
    if (finishes.length >= MAX_PER_SESSION) finishes.shift();
    finishes.push(finishAt);
  }

  /** The request finished (or failed): it no longer holds the run up. */
  remove(sessionId: string | undefined, finishAt: number): void {
    if (sessionId === undefined) return;
    const finishes = this.bySession.get(sessionId);
    if (!finishes) return;
    const at = finishes.indexOf(finishAt);
    if (at >= 0) finishes.splice(at, 1);
    if (finishes.length === 0) this.bySession.delete(sessionId);
  }

  get sessions(): number {
    return this.bySession.size;
  }
}
