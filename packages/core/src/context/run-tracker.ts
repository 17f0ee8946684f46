import { createHash, randomBytes } from 'node:crypto';
import { BoundedLru } from '../bounded-lru.js';

/** Digests of requests remembered per run (enough to spot a repeat of a run's opening requests). */
const DIGESTS_PER_RUN = 256;

interface Run {
  sessionId: string;
  /** Furthest position reached (a run's conversation only grows). */
  furthest: number;
  /** Requests seen in this run. */
  steps: number;
  digests: Set<string>;
}

/** A request's place in its run, as a framework bridge reads it off the wire. */
export interface RunRequest {
  /** What runs of the same job share (the task text, the client...). */
  key: string;
  /** How far into the run this request is (history length, task index...): never falls within a run. */
  position: number;
  /** The whole request (messages), to tell a repeated run from the same run going on. */
  body: unknown;
}

/**
 * Tells framework runs apart when nothing on the wire names them. Two runs of the same AutoGen
 * team or CrewAI crew send byte-identical requests, so a run is inferred from its shape: a
 * request continues the latest run of its key unless it goes back (a position below the run's
 * furthest) or repeats a request that run already made; then a new run, a new session, begins.
 * Runs of one key that overlap in time cannot be told apart this way: give each its own session
 * header (the bridges' docs show the one-liner).
 */
export class RunTracker {
  private readonly runs: BoundedLru<string, Run>;
  private readonly prefix: string;

  constructor(prefix: string, capacity = 10_000) {
    this.runs = new BoundedLru(capacity);
    this.prefix = `${prefix}-${randomBytes(3).toString('hex')}`;
  }

  /** The run's session id, and how many requests of the run came before this one. */
  place(req: RunRequest): { sessionId: string; step: number } {
    const digest = createHash('sha256').update(JSON.stringify(req.body)).digest('base64url');
    let run = this.runs.get(req.key);
    if (!run || req.position < run.furthest || run.digests.has(digest)) {
      run = { sessionId: this.newSessionId(), furthest: req.position, steps: 0, digests: new Set() };
      this.runs.set(req.key, run);
    }
    run.furthest = Math.max(run.furthest, req.position);
    if (run.digests.size < DIGESTS_PER_RUN) run.digests.add(digest);
    return { sessionId: run.sessionId, step: run.steps++ };
  }

  private counter = 0;
  private newSessionId(): string {
    this.counter += 1;
    return `${this.prefix}-${this.counter.toString(36)}`;
  }
}
