import type { ComplexityBand } from '../analysis/complexity.js';
import type { TaskType } from '../context/agent-context.js';

/**
 * Learned evidence for one (team, role, taskType, model, complexity band): weighted fractional
 * successes (alpha) and failures (beta), without the prior, discounted as new evidence arrives
 * (see learning/pooled-quality.ts). A judged score adds 1 to alpha + beta, an implicit failure
 * IMPLICIT_WEIGHT, an implicit success nothing (see reward.ts).
 *
 * Statistics are kept at several levels of detail at once so that evidence is pooled: `*` in
 * team, role or taskType means "any" (e.g. ('*', '*', '*', model, band) is the model's global
 * quality on prompts of that difficulty). Unknown team or role is stored as `*` too.
 */
export interface QualityStat {
  team: string;
  role: string;
  taskType: TaskType | typeof ANY;
  modelId: string;
  /** Prompt difficulty band the evidence is about (analysis/complexity.ts). */
  band: ComplexityBand;
  alpha: number;
  beta: number;
  /** Observations folded in (outcomes + feedback; superseded implicit outcomes are taken out). */
  n: number;
  /** ms epoch of the last update. */
  updatedAt: number;
}

/** The key fields of a statistic. */
export type StatKey = Pick<QualityStat, 'team' | 'role' | 'taskType' | 'modelId' | 'band'>;

export const ANY = '*';

/** Roles match case-insensitively, so they are stored lower-case. */
export function normaliseRole(role: string | undefined): string {
  return role === undefined ? ANY : role.toLowerCase();
}

export function normaliseTeam(team: string | undefined): string {
  return team ?? ANY;
}

/** Key of the (team, role, taskType, band) slice; models hang below it. */
export function sliceKey(team: string, role: string, taskType: string, band: ComplexityBand): string {
  return `${team}\u0001${role}\u0001${taskType}\u0001${band}`;
}

/** One string per statistic (stores and mirrors index by it). */
export function statKey(stat: StatKey): string {
  return `${sliceKey(stat.team, stat.role, stat.taskType, stat.band)}\u0001${stat.modelId}`;
}
