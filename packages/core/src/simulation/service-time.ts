import type { HardwareProfile } from './hardware.js';

/**
 * THE rule for how long a request takes on a node. The wall-clock emulation (timers) and the
 * discrete-event simulator (virtual time) both call these functions and nothing else, so a result
 * from one means the same in the other.
 *
 * - A node serves at most `slots` requests at once; the rest wait FIFO at the node.
 * - When a request starts service its decode rate is fixed:
 *     effectiveDecodeRate = decodeTokensPerSec / (1 + batchSlowdown × (activeIncludingThis − 1))
 *   (requests that start or end later do not change it — a deliberate simplification: real batched
 *   servers re-balance continuously, but a fixed rate keeps both engines exact and cheap).
 * - time = promptTokens / prefillTokensPerSec + outputTokens / effectiveDecodeRate.
 * - The first token arrives after prefill plus one token interval; tokens then come evenly.
 */

export interface ServiceDemand {
  promptTokens: number;
  outputTokens: number;
}

export interface ServiceTime {
  /** Decode rate fixed for this request, tokens/s. */
  decodeRate: number;
  prefillSec: number;
  decodeSec: number;
  /** prefillSec + decodeSec: from start of service to the last token. */
  totalSec: number;
  /** From start of service to the first output token. */
  ttftSec: number;
  /** Time between two output tokens. */
  tokenIntervalSec: number;
}

export function effectiveDecodeRate(profile: HardwareProfile, activeIncludingThis: number): number {
  const others = Math.max(0, Math.floor(activeIncludingThis) - 1);
  return profile.decodeTokensPerSec / (1 + profile.batchSlowdown * others);
}

export function serviceTime(
  profile: HardwareProfile,
  demand: ServiceDemand,
  activeIncludingThis: number,
): ServiceTime {
  const decodeRate = effectiveDecodeRate(profile, activeIncludingThis);
  const prefillSec = Math.max(0, demand.promptTokens) / profile.prefillTokensPerSec;
  const outputTokens = Math.max(0, demand.outputTokens);
  const tokenIntervalSec = 1 / decodeRate;
  const decodeSec = outputTokens * tokenIntervalSec;
  return {
    decodeRate,
    prefillSec,
    decodeSec,
    totalSec: prefillSec + decodeSec,
    ttftSec: prefillSec + (outputTokens > 0 ? tokenIntervalSec : 0),
    tokenIntervalSec,
  };
}

/** Time of the `k`-th output token (1-based) after the start of service. */
export function tokenTime(time: ServiceTime, k: number): number {
  return time.prefillSec + k * time.tokenIntervalSec;
}

/** How many output tokens are out `elapsedSec` after the start of service. */
export function tokensOutAt(time: ServiceTime, outputTokens: number, elapsedSec: number): number {
  if (elapsedSec >= time.totalSec) return outputTokens;
  const k = Math.floor((elapsedSec - time.prefillSec) / time.tokenIntervalSec + 1e-9);
  return Math.max(0, Math.min(outputTokens, k));
}

/** A job that has just started service, with the time the rule gives it. */
export interface Started<J> {
  job: J;
  time: ServiceTime;
}

/**
 * Slots + FIFO queue of one node, as a plain state machine with no clock: callers say when a job
 * arrives or finishes and get back the jobs that start now, each with its service time. The
 * emulation sets timers from `time`; the simulator schedules completion events.
 */
export class NodeQueue<J> {
  private readonly waiting: Array<{ job: J; demand: ServiceDemand }> = [];
  private running = 0;

  constructor(readonly profile: HardwareProfile) {}

  /** Requests in service. */
  get active(): number {
    return this.running;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** A job arrives; it starts at once when a slot is free (then it is the one returned). */
  arrive(job: J, demand: ServiceDemand): Array<Started<J>> {
    this.waiting.push({ job, demand });
    return this.drain();
  }

  /** A job in service is done (or cancelled): its slot goes to the head of the queue. */
  finish(): Array<Started<J>> {
    if (this.running === 0) throw new Error('finish() with no job in service');
    this.running -= 1;
    return this.drain();
  }

  /** Remove a job that is still waiting (its client left); false when it is not waiting. */
  cancelWaiting(job: J): boolean {
    const i = this.waiting.findIndex((w) => w.job === job);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  private drain(): Array<Started<J>> {
    const started: Array<Started<J>> = [];
    while (this.running < this.profile.slots && this.waiting.length > 0) {
      const next = this.waiting.shift() as { job: J; demand: ServiceDemand };
      this.running += 1;
      started.push({ job: next.job, time: serviceTime(this.profile, next.demand, this.running) });
    }
    return started;
  }
}
