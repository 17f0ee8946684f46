import type { TaskType } from '../context/agent-context.js';

/**
 * Learned evidence for one (team, role, taskType, model): weighted fractional successes (alpha)
 * and failures (beta), without the prior. A judged score adds 1 to alpha + beta, an implicit
 * success or failure IMPLICIT_WEIGHT (see reward.ts). Unknown team or role is stored as `*`.
 */
export interface QualityStat {
  team: string;
  role: string;
  taskType: TaskType;
  modelId: string;
  alpha: number;
  beta: number;
  /** Observations folded in (outcomes + feedback; superseded implicit outcomes are taken out). */
  n: number;
  /** ms epoch of the last update. */
  updatedAt: number;
}

export const ANY = '*';

/** Roles match case-insensitively, so they are stored lower-case. */
export function normaliseRole(role: string | undefined): string {
  return role === undefined ? ANY : role.toLowerCase();
}

export function normaliseTeam(team: string | undefined): string {
  return team ?? ANY;
}

/** Key of the (team, role, taskType) slice; models hang below it. */
export function sliceKey(team: string, role: string, taskType: TaskType): string {
  return `${team}\u0001${role}\u0001${taskType}`;
}
