import { Rng } from './random.js';

/**
 * The hidden truth about answer quality: how good a model's answer to a request is, from the
 * model's size and the request's hidden difficulty. Routers never see this; the benchmark's judge
 * uses it to score answers (with a little noise, like a real judge).
 *
 * Anchors (expected quality at the centre of each difficulty class: easy d = 1/6, medium 1/2,
 * hard 5/6), chosen to match the usual shape of public benchmark results — small models are fine
 * on easy requests and fall off quickly as requests get harder, large ones barely drop:
 *
 *   | params | easy | medium | hard |
 *   |   3B   | 0.80 |  0.50  | 0.20 |
 *   |   7B   | 0.86 |  0.65  | 0.40 |
 *   |  14B   | 0.90 |  0.78  | 0.60 |
 *   |  70B   | 0.93 |  0.90  | 0.85 |
 *
 * Between anchors quality is linear in difficulty and in log(parameters); outside them it is held
 * at the nearest anchor. So quality never rises with difficulty and never falls with size.
 */

export interface QualityModel {
  /** Parameters in billions. */
  parameters: number;
  /**
   * A "weakened" model: same name and speed, much worse answers (a bad quantisation or a wrong
   * checkpoint swapped in behind the same id). For the swap experiment.
   */
  weakened?: boolean;
}

const ANCHORS: ReadonlyArray<{ parameters: number; q: readonly [number, number, number] }> = [
  { parameters: 3, q: [0.8, 0.5, 0.2] },
  { parameters: 7, q: [0.86, 0.65, 0.4] },
  { parameters: 14, q: [0.9, 0.78, 0.6] },
  { parameters: 70, q: [0.93, 0.9, 0.85] },
];
/** What a weakened model gets, whatever its size: worse than the smallest model everywhere. */
const WEAKENED: readonly [number, number, number] = [0.45, 0.25, 0.08];
const CLASS_CENTRES = [1 / 6, 1 / 2, 5 / 6] as const;

function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

/** Quality along difficulty for one anchor row. */
function alongDifficulty(q: readonly [number, number, number], d: number): number {
  const [c0, c1, c2] = CLASS_CENTRES;
  if (d <= c0) return q[0];
  if (d <= c1) return lerp(q[0], q[1], (d - c0) / (c1 - c0));
  if (d <= c2) return lerp(q[1], q[2], (d - c1) / (c2 - c1));
  return q[2];
}

/** Expected (noise-free) quality 0..1 of `model` answering a request of hidden difficulty 0..1. */
export function oracleQuality(model: QualityModel, difficulty: number): number {
  const d = Math.min(1, Math.max(0, difficulty));
  if (model.weakened) return alongDifficulty(WEAKENED, d);
  const first = ANCHORS[0] as (typeof ANCHORS)[number];
  const last = ANCHORS[ANCHORS.length - 1] as (typeof ANCHORS)[number];
  if (model.parameters <= first.parameters) return alongDifficulty(first.q, d);
  if (model.parameters >= last.parameters) return alongDifficulty(last.q, d);
  for (let i = 1; i < ANCHORS.length; i++) {
    const hi = ANCHORS[i] as (typeof ANCHORS)[number];
    const lo = ANCHORS[i - 1] as (typeof ANCHORS)[number];
    if (model.parameters <= hi.parameters) {
      const t = Math.log(model.parameters / lo.parameters) / Math.log(hi.parameters / lo.parameters);
      return lerp(alongDifficulty(lo.q, d), alongDifficulty(hi.q, d), t);
    }
  }
  return alongDifficulty(last.q, d);
}

export interface JudgeInput {
  /** Stable id of the request (the same request judged twice gets the same noise). */
  requestId: string;
  difficulty: number;
  model: QualityModel & { id: string };
}

/** Judge noise: standard deviation of the score around the oracle. */
export const JUDGE_NOISE = 0.05;

/**
 * A judge: the oracle plus small Gaussian noise, clipped to 0..1. Deterministic per (seed,
 * request, model) — two runs of a benchmark score the same answer the same way.
 */
export function judge(seed: number, noise = JUDGE_NOISE): (input: JudgeInput) => number {
  return (input) => {
    const rng = Rng.derive(seed, 'judge', input.requestId, input.model.id, input.model.weakened ? 'w' : '');
    const score = oracleQuality(input.model, input.difficulty) + noise * rng.normal();
    return Math.min(1, Math.max(0, score));
  };
}
