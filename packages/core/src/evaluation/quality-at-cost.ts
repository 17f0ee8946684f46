import { type LabelledTrace, labelOf, type TraceItem, type TraceModel } from './trace.js';

/**
 * Quality at cost, as RouteLLM reports it. A routing of a trace (one model per item) becomes an
 * operating point:
 * - cost: what the calls cost (per-token price × prompt and answer tokens), scaled so that every
 *   call on the weakest (cheapest) model is 0 and every call on the strongest is 1. With two
 *   models this is exactly the share of calls to the strong one.
 * - PGR (performance gap recovered) = (quality − weakest's) / (strongest's − weakest's).
 * APGR is the area under PGR against cost over 0..1 (see `apgr`).
 */

export interface OperatingPoint {
  /** Scaled cost 0..1 (weakest model everywhere … strongest everywhere). */
  cost: number;
  pgr: number;
  /** Mean judged quality. */
  quality: number;
  /** Share of calls that went to the strongest model. */
  strongShare: number;
  /** Share of calls whose answer counts as a success. */
  successRate: number;
}

export interface TraceScale {
  weakest: TraceModel;
  strongest: TraceModel;
  /** Mean quality with every call on the weakest / the strongest model. */
  weakQuality: number;
  strongQuality: number;
  /** Total cost with every call on the weakest / the strongest model. */
  weakCost: number;
  strongCost: number;
}

/** Cost of answering `item` with `model`. */
export function callCost(model: TraceModel, item: TraceItem): number {
  return model.costPerToken * (item.promptTokens + item.outputTokens);
}

function modelById(trace: LabelledTrace, id: string): TraceModel {
  const model = trace.models.find((m) => m.id === id);
  if (!model)
    throw new Error(`model "${id}" is not in the trace (it has ${trace.models.map((m) => m.id).join(', ')})`);
  return model;
}

/** The two ends PGR and cost are scaled between: the smallest and the largest model. */
export function traceScale(trace: LabelledTrace): TraceScale {
  if (trace.items.length === 0) throw new Error('an empty trace has no quality at cost');
  const sorted = [...trace.models].sort((a, b) => a.parameters - b.parameters);
  const weakest = sorted[0] as TraceModel;
  const strongest = sorted[sorted.length - 1] as TraceModel;
  const mean = (m: TraceModel) =>
    trace.items.reduce((s, item) => s + labelOf(item, m.id).quality, 0) / trace.items.length;
  const total = (m: TraceModel) => trace.items.reduce((s, item) => s + callCost(m, item), 0);
  return {
    weakest,
    strongest,
    weakQuality: mean(weakest),
    strongQuality: mean(strongest),
    weakCost: total(weakest),
    strongCost: total(strongest),
  };
}

/** The operating point of a routing: `choices[i]` is the model id that answered item i. */
export function operatingPoint(
  trace: LabelledTrace,
  choices: readonly string[],
  scale = traceScale(trace),
): OperatingPoint {
  if (choices.length !== trace.items.length)
    throw new Error(`${choices.length} choices for a trace of ${trace.items.length} items`);
  let quality = 0;
  let cost = 0;
  let strong = 0;
  let success = 0;
  trace.items.forEach((item, i) => {
    const id = choices[i] as string;
    const label = labelOf(item, id);
    quality += label.quality;
    cost += callCost(modelById(trace, id), item);
    if (id === scale.strongest.id) strong++;
    if (label.success) success++;
  });
  const n = trace.items.length;
  const meanQuality = quality / n;
  return {
    cost: (cost - scale.weakCost) / (scale.strongCost - scale.weakCost),
    pgr: pgrOf(meanQuality, scale),
    quality: meanQuality,
    strongShare: strong / n,
    successRate: success / n,
  };
}

export function pgrOf(quality: number, scale: TraceScale): number {
  const gap = scale.strongQuality - scale.weakQuality;
  return gap === 0 ? 0 : (quality - scale.weakQuality) / gap;
}

/**
 * A policy's PGR-at-cost curve from its operating points: the best PGR reachable within each
 * cost, interpolated linearly between points (mixing two operating points at random reaches
 * every cost between them), starting from (0, 0) — any policy can send everything to the weakest
 * model — and flat after its most expensive point (a larger budget can go unspent).
 */
export function frontier(
  points: ReadonlyArray<Pick<OperatingPoint, 'cost' | 'pgr'>>,
): Array<[number, number]> {
  const sorted = [[0, 0] as [number, number], ...points.map((p) => [p.cost, p.pgr] as [number, number])].sort(
    (a, b) => a[0] - b[0] || b[1] - a[1],
  );
  const out: Array<[number, number]> = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (!last || p[1] > last[1]) out.push(p);
  }
  return out;
}

/** The curve's PGR at cost `x` (see `frontier`). */
export function pgrAt(curve: ReadonlyArray<[number, number]>, x: number): number {
  let before: [number, number] | undefined;
  for (const p of curve) {
    if (p[0] > x) {
      if (!before) return 0;
      const t = (x - before[0]) / (p[0] - before[0]);
      return before[1] + t * (p[1] - before[1]);
    }
    before = p;
  }
  return before ? before[1] : 0;
}

/** APGR: the area under the curve over cost 0..1 (exact, the curve is piecewise linear). */
export function apgr(points: ReadonlyArray<Pick<OperatingPoint, 'cost' | 'pgr'>>): number {
  const curve = frontier(points);
  const xs = [...new Set([0, 1, ...curve.map((p) => p[0]).filter((x) => x > 0 && x < 1)])].sort(
    (a, b) => a - b,
  );
  let area = 0;
  for (let i = 1; i < xs.length; i++) {
    const a = xs[i - 1] as number;
    const b = xs[i] as number;
    area += ((pgrAt(curve, a) + pgrAt(curve, b)) / 2) * (b - a);
  }
  return area;
}
