import type { TaskType } from '../context/agent-context.js';
import { PRIOR_STRENGTH } from './cold-start.js';
import type { Prng } from './prng.js';
import { type QualityStat, sliceKey } from './quality-stat.js';

/**
 * Per (team, role, taskType, model) Beta statistics. Reads on the hot path are two Map lookups
 * per model; updates are in place. Posterior = Beta(prior·k + alpha, (1 − prior)·k + beta).
 */
export class LearnedQuality {
  private readonly slices = new Map<string, Map<string, QualityStat>>();
  private count = 0;

  constructor(stats: Iterable<QualityStat> = []) {
    for (const stat of stats) this.put({ ...stat });
  }

  /** Number of (team, role, taskType, model) entries. */
  get size(): number {
    return this.count;
  }

  slice(team: string, role: string, taskType: TaskType): Map<string, QualityStat> | undefined {
    return this.slices.get(sliceKey(team, role, taskType));
  }

  get(team: string, role: string, taskType: TaskType, modelId: string): QualityStat | undefined {
    return this.slice(team, role, taskType)?.get(modelId);
  }

  /**
   * Fold one reward (0..1) into the statistics with a weight in pseudo-observations (1 for a
   * judged score, less for implicit success); returns the updated entry.
   */
  update(
    team: string,
    role: string,
    taskType: TaskType,
    modelId: string,
    reward: number,
    at: number,
    weight = 1,
  ): QualityStat {
    let stat = this.get(team, role, taskType, modelId);
    if (!stat) {
      stat = { team, role, taskType, modelId, alpha: 0, beta: 0, n: 0, updatedAt: at };
      this.put(stat);
    }
    stat.alpha += weight * reward;
    stat.beta += weight * (1 - reward);
    stat.n += 1;
    stat.updatedAt = at;
    return stat;
  }

  /** Take back an observation folded in earlier (superseded evidence); returns the entry. */
  retract(
    team: string,
    role: string,
    taskType: TaskType,
    modelId: string,
    reward: number,
    at: number,
    weight: number,
  ): QualityStat | undefined {
    const stat = this.get(team, role, taskType, modelId);
    if (!stat) return undefined;
    // Clamp: float drift must never leave negative evidence behind.
    stat.alpha = Math.max(0, stat.alpha - weight * reward);
    stat.beta = Math.max(0, stat.beta - weight * (1 - reward));
    stat.n = Math.max(0, stat.n - 1);
    stat.updatedAt = at;
    return stat;
  }

  /** Replace an entry's evidence with a value learned elsewhere (another gateway); returns it. */
  replace(stat: QualityStat): QualityStat {
    const existing = this.get(stat.team, stat.role, stat.taskType, stat.modelId);
    if (!existing) {
      const copy = { ...stat };
      this.put(copy);
      return copy;
    }
    existing.alpha = stat.alpha;
    existing.beta = stat.beta;
    existing.n = stat.n;
    existing.updatedAt = stat.updatedAt;
    return existing;
  }

  all(): IterableIterator<QualityStat> {
    return allStats(this.slices);
  }

  private put(stat: QualityStat): void {
    const key = sliceKey(stat.team, stat.role, stat.taskType);
    let slice = this.slices.get(key);
    if (!slice) {
      slice = new Map();
      this.slices.set(key, slice);
    }
    if (!slice.has(stat.modelId)) this.count++;
    slice.set(stat.modelId, stat);
  }
}

function* allStats(slices: Map<string, Map<string, QualityStat>>): IterableIterator<QualityStat> {
  for (const slice of slices.values()) yield* slice.values();
}

/** Evidence behind a statistic, in pseudo-observations (judged scores count 1 each). */
export function evidenceOf(stat: QualityStat | undefined): number {
  return stat ? stat.alpha + stat.beta : 0;
}

/** Posterior mean given a prior mean and the evidence (if any). */
export function posteriorMean(prior: number, stat: QualityStat | undefined): number {
  if (!stat) return prior;
  return (prior * PRIOR_STRENGTH + stat.alpha) / (PRIOR_STRENGTH + stat.alpha + stat.beta);
}

/** Thompson sample from the posterior. */
export function posteriorSample(prior: number, stat: QualityStat | undefined, rng: Prng): number {
  const a = prior * PRIOR_STRENGTH + (stat?.alpha ?? 0);
  const b = (1 - prior) * PRIOR_STRENGTH + (stat?.beta ?? 0);
  return rng.beta(a, b);
}
