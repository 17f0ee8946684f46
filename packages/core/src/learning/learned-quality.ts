import type { ComplexityBand } from '../analysis/complexity.js';
import type { TaskType } from '../context/agent-context.js';
import type { Prng } from './prng.js';
import { ANY, type QualityStat, sliceKey, statKey } from './quality-stat.js';

/** Pseudo-observations the size-based prior is worth at the top level. */
export const PRIOR_STRENGTH = 3;
/** Pseudo-observations a level's estimate is worth as the prior of the level below it. */
export const POOL_STRENGTH = 4;
/**
 * Old evidence is discounted by this factor per judged observation (DISCOUNT^weight for lighter
 * evidence), so a model that got worse (or better) shows within tens of judgements instead of
 * being outvoted by its history. At most 1 / (1 − DISCOUNT) = 50 judgements weigh at once.
 */
export const DISCOUNT = 0.98;

/** A prediction: posterior mean and how many pseudo-observations stand behind it. */
export interface QualityPrediction {
  mean: number;
  strength: number;
  /** Judged evidence at the most specific level that has any (for explanations). */
  evidence: number;
  /** How many levels had evidence. */
  levels: number;
}

/**
 * Learned quality, pooled: a model's quality is kept per complexity band at four levels, each
 * the prior of the next (hierarchical shrinkage):
 *
 *   ('*', '*', '*')          the model on prompts of this difficulty, across everyone
 *   ('*', '*', taskType)     … on this kind of task
 *   ('*', role, taskType)    … for this role, across teams
 *   (team, role, taskType)   … for this team's role
 *
 * so four teams share what they learn, a role's own experience pulls only once it has some, and
 * easy wins of a small model do not vouch for it on hard work (bands are separate). Every update
 * goes to all levels. Reads are a few Map lookups per model per route.
 */
export class LearnedQuality {
  private readonly slices = new Map<string, Map<string, QualityStat>>();
  /** Every statistic of a (model, band), across contexts (shifted together when the model changes). */
  private readonly byModel = new Map<string, Set<QualityStat>>();
  /** Running mean of (judgement − estimate) per global statistic (see drifted). */
  private readonly drift = new WeakMap<QualityStat, number>();
  private count = 0;

  constructor(stats: Iterable<QualityStat> = []) {
    for (const stat of stats) this.put({ ...stat });
  }

  /** Number of statistics held (all levels). */
  get size(): number {
    return this.count;
  }

  get(key: Omit<QualityStat, 'alpha' | 'beta' | 'n' | 'updatedAt'>): QualityStat | undefined {
    return this.slices.get(sliceKey(key.team, key.role, key.taskType, key.band))?.get(key.modelId);
  }

  /**
   * The slices a route reads, most general first (fetch once per route, then `predict` per model).
   * Duplicate levels (unknown team or role) are left out.
   */
  slicesFor(
    team: string,
    role: string,
    taskType: TaskType,
    band: ComplexityBand,
  ): Array<Map<string, QualityStat> | undefined> {
    const keys = sliceKeysOf(team, role, taskType, band);
    const out: Array<Map<string, QualityStat> | undefined> = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = this.slices.get(keys[i] as string);
    return out;
  }

  /** Posterior for one model given the route's slices (from `slicesFor`) and its prior mean. */
  static predict(
    slices: ReadonlyArray<Map<string, QualityStat> | undefined>,
    modelId: string,
    prior: number,
    out: QualityPrediction,
  ): QualityPrediction {
    let mean = prior;
    let strength = PRIOR_STRENGTH;
    let evidence = 0;
    let levels = 0;
    for (let l = 0; l < slices.length; l++) {
      const stat = slices[l]?.get(modelId);
      const pool = l === 0 ? PRIOR_STRENGTH : POOL_STRENGTH;
      if (!stat) {
        strength = Math.min(strength, pool);
        continue;
      }
      const e = stat.alpha + stat.beta;
      if (e <= 0) continue;
      mean = (mean * pool + stat.alpha) / (pool + e);
      // A level is as sure as its own evidence plus what it borrowed from above (capped).
      strength = Math.min(strength, pool) + e;
      evidence = e;
      levels++;
    }
    out.mean = mean;
    out.strength = strength;
    out.evidence = evidence;
    out.levels = levels;
    return out;
  }

  /**
   * Fold one reward (0..1) into every level with a weight in pseudo-observations (1 for a judged
   * score, less for implicit success); returns the updated statistics.
   */
  update(key: EvidenceKey, reward: number, at: number, weight = 1): QualityStat[] {
    const levels = levelsOf(key.team, key.role, key.taskType);
    const changed: QualityStat[] = [];
    levels.forEach(([team, role, taskType], depth) => {
      const stat = this.getOrCreate({ team, role, taskType, modelId: key.modelId, band: key.band }, at);
      const keep = keepFactor(weight);
      // The model as a whole keeps surprising us (its global statistic drifts): what every
      // context learned about it is suspect, on every band (a swapped checkpoint or a broken
      // quantisation changes all of it), not only this request's path.
      const drift = depth === 0 && weight >= 1 ? this.drifted(stat, reward) : 0;
      if (drift !== 0)
        for (const band of BANDS) changed.push(...this.shiftContexts({ ...key, band }, drift, at));
      stat.alpha = stat.alpha * keep + weight * reward;
      stat.beta = stat.beta * keep + weight * (1 - reward);
      stat.n += 1;
      stat.updatedAt = at;
      changed.push(stat);
    });
    return changed;
  }

  /**
   * Change detection on a model's global statistic: a running mean of how far judgements land
   * from its estimate. One odd judgement (a misread difficulty) does not trip it; two or three
   * far-off ones in a row do. In memory only: after a restart it simply starts again.
   */
  private drifted(stat: QualityStat, reward: number): number {
    const evidence = stat.alpha + stat.beta;
    if (evidence < DRIFT_MIN_EVIDENCE) return 0;
    const drift =
      (this.drift.get(stat) ?? 0) * (1 - DRIFT_RATE) + DRIFT_RATE * (reward - stat.alpha / evidence);
    if (Math.abs(drift) > DRIFT_LIMIT) {
      this.drift.set(stat, 0);
      return drift;
    }
    this.drift.set(stat, drift);
    return 0;
  }

  /**
   * The model changed by about `drift`: every statistic of it on this band (every context) moves
   * its mean by that much and keeps CHANGED_KEEP of its evidence, so even contexts and bands that
   * have not seen the change yet stop trusting the old model, and their own new judgements
   * settle the rest quickly.
   */
  private shiftContexts(key: EvidenceKey, drift: number, at: number): QualityStat[] {
    const shifted: QualityStat[] = [];
    for (const stat of this.byModel.get(modelBandKey(key.modelId, key.band)) ?? []) {
      const evidence = stat.alpha + stat.beta;
      if (evidence <= 0) continue;
      const mean = Math.min(0.98, Math.max(0.02, stat.alpha / evidence + drift));
      const kept = evidence * CHANGED_KEEP;
      stat.alpha = mean * kept;
      stat.beta = (1 - mean) * kept;
      stat.updatedAt = at;
      shifted.push(stat);
    }
    return shifted;
  }

  /**
   * Take back an observation folded in earlier (superseded evidence) at every level: the exact
   * inverse of `update` when nothing came in between.
   */
  retract(key: EvidenceKey, reward: number, at: number, weight: number): QualityStat[] {
    const changed: QualityStat[] = [];
    for (const [team, role, taskType] of levelsOf(key.team, key.role, key.taskType)) {
      const stat = this.get({ team, role, taskType, modelId: key.modelId, band: key.band });
      if (!stat) continue;
      // The inverse of update (exact when nothing came in between). Clamp: float drift must
      // never leave negative evidence behind.
      const keep = DISCOUNT ** weight;
      stat.alpha = Math.max(0, (stat.alpha - weight * reward) / keep);
      stat.beta = Math.max(0, (stat.beta - weight * (1 - reward)) / keep);
      stat.n = Math.max(0, stat.n - 1);
      stat.updatedAt = at;
      changed.push(stat);
    }
    return changed;
  }

  /** Replace an entry's evidence with a value learned elsewhere (another gateway); returns it. */
  replace(stat: QualityStat): QualityStat {
    const existing = this.get(stat);
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

  private getOrCreate(key: Omit<QualityStat, 'alpha' | 'beta' | 'n' | 'updatedAt'>, at: number): QualityStat {
    const existing = this.get(key);
    if (existing) return existing;
    const stat: QualityStat = { ...key, alpha: 0, beta: 0, n: 0, updatedAt: at };
    this.put(stat);
    return stat;
  }

  private put(stat: QualityStat): void {
    const key = sliceKey(stat.team, stat.role, stat.taskType, stat.band);
    let slice = this.slices.get(key);
    if (!slice) {
      slice = new Map();
      this.slices.set(key, slice);
    }
    const previous = slice.get(stat.modelId);
    if (!previous) this.count++;
    slice.set(stat.modelId, stat);
    const family = modelBandKey(stat.modelId, stat.band);
    let stats = this.byModel.get(family);
    if (!stats) {
      stats = new Set();
      this.byModel.set(family, stats);
    }
    if (previous) stats.delete(previous);
    stats.add(stat);
  }
}

function modelBandKey(modelId: string, band: string): string {
  return `${modelId}\u0001${band}`;
}

/**
 * How much of a statistic's old evidence to keep when new evidence arrives: it fades in
 * proportion to the weight of the new (weak implicit evidence barely moves it).
 */
function keepFactor(weight: number): number {
  return DISCOUNT ** weight;
}

const BANDS: readonly ComplexityBand[] = ['low', 'medium', 'high'];

/** Smoothing of the drift detector, and the mean miss that says the model changed. */
const DRIFT_RATE = 0.2;
const DRIFT_LIMIT = 0.3;
/** What a detected change keeps of every context's evidence about the model on that band. */
export const CHANGED_KEEP = 0.5;
/** Evidence a model's global statistic needs before the drift detector trusts its mean. */
const DRIFT_MIN_EVIDENCE = 3;

/** What one piece of evidence is about. */
export interface EvidenceKey {
  team: string;
  role: string;
  taskType: TaskType;
  modelId: string;
  band: ComplexityBand;
}

type Level = readonly [team: string, role: string, taskType: TaskType | typeof ANY];

/** A (team, role, taskType)'s pooling levels and, per band once asked for, their slice keys. */
interface Pooling {
  readonly levels: readonly Level[];
  readonly keys: Partial<Record<ComplexityBand, readonly string[]>>;
}

const poolingCache = new Map<string, Pooling>();

function poolingOf(team: string, role: string, taskType: TaskType): Pooling {
  const cacheKey = `${team}\u0001${role}\u0001${taskType}`;
  let pooling = poolingCache.get(cacheKey);
  if (pooling) return pooling;
  const all: Level[] = [
    [ANY, ANY, ANY],
    [ANY, ANY, taskType],
    [ANY, role, taskType],
    [team, role, taskType],
  ];
  const seen = new Set<string>();
  const levels = all.filter((level) => {
    const key = level.join('\u0001');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  pooling = { levels, keys: {} };
  // Bounded: header-supplied teams and roles must not grow this without limit.
  if (poolingCache.size > 10_000) poolingCache.clear();
  poolingCache.set(cacheKey, pooling);
  return pooling;
}

/** The pooling levels of a (team, role, taskType), most general first, without duplicates. */
function levelsOf(team: string, role: string, taskType: TaskType): readonly Level[] {
  return poolingOf(team, role, taskType).levels;
}

/** The slice keys of those levels on one band (read on every route: made once). */
function sliceKeysOf(
  team: string,
  role: string,
  taskType: TaskType,
  band: ComplexityBand,
): readonly string[] {
  const pooling = poolingOf(team, role, taskType);
  pooling.keys[band] ??= pooling.levels.map(([t, r, k]) => sliceKey(t, r, k, band));
  return pooling.keys[band];
}

function* allStats(slices: Map<string, Map<string, QualityStat>>): IterableIterator<QualityStat> {
  for (const slice of slices.values()) yield* slice.values();
}

/** Thompson sample of a quality prediction: Beta(mean·strength, (1 − mean)·strength). */
export function sampleQuality(mean: number, strength: number, rng: Prng): number {
  const m = mean < 0.001 ? 0.001 : Math.min(mean, 0.999);
  return rng.beta(m * strength, (1 - m) * strength);
}

export { statKey };
