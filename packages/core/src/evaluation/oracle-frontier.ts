import { callCost, type OperatingPoint, pgrOf, type TraceScale, traceScale } from './quality-at-cost.js';
import { type LabelledTrace, labelOf } from './trace.js';

/**
 * The oracle: knowing every label, the best model per prompt within a cost budget. Choosing one
 * model per item to maximise total quality under a total cost is a multiple-choice knapsack; its
 * upper concave envelope is exact and cheap: start with every item on its cheapest model, then
 * take every item's upgrades (steps along its own quality/cost hull) in order of quality gained
 * per cost, best first. Each prefix is an assignment, and no routing of the trace has a higher
 * quality at the same cost than the envelope through them, so the oracle bounds every policy.
 */

interface Upgrade {
  item: number;
  to: string;
  dCost: number;
  dQuality: number;
  slope: number;
}

export interface OracleAt {
  choices: string[];
  /** Quality per unit of call cost (`callCost`) at this budget. */
  price: number;
}

export interface OracleFrontier {
  /** The envelope's vertices, cheapest first (the first: every item on its cheapest model). */
  points: OperatingPoint[];
  /**
   * The oracle's assignment with the highest quality whose scaled cost is at most `cost`, and
   * its exchange rate there: the quality one more unit of (unscaled) cost buys, the slope of the
   * envelope's last step taken (the first step's when none fits).
   */
  within(cost: number): OracleAt;
}

export function oracleFrontier(trace: LabelledTrace, scale: TraceScale = traceScale(trace)): OracleFrontier {
  const start: string[] = [];
  const upgrades: Upgrade[] = [];
  trace.items.forEach((item, i) => {
    const options = trace.models.map((m) => ({
      id: m.id,
      c: callCost(m, item),
      q: labelOf(item, m.id).quality,
    }));
    options.sort((a, b) => a.c - b.c || b.q - a.q);
    let at = options[0] as (typeof options)[number];
    start.push(at.id);
    // Walk up this item's upper hull: from where it is, the option with the steepest gain.
    for (;;) {
      let best: (typeof options)[number] | undefined;
      let bestSlope = 0;
      for (const o of options) {
        if (o.c <= at.c || o.q <= at.q) continue;
        const slope = (o.q - at.q) / (o.c - at.c);
        if (slope > bestSlope) {
          best = o;
          bestSlope = slope;
        }
      }
      if (!best) break;
      upgrades.push({
        item: i,
        to: best.id,
        dCost: best.c - at.c,
        dQuality: best.q - at.q,
        slope: bestSlope,
      });
      at = best;
    }
  });
  // Stable sort: one item's steps have falling slopes, so they stay in their own order.
  upgrades.sort((a, b) => b.slope - a.slope);

  const n = trace.items.length;
  const span = scale.strongCost - scale.weakCost;
  const choices = [...start];
  let cost = 0;
  let quality = 0;
  let strong = 0;
  let success = 0;
  trace.items.forEach((item, i) => {
    const id = choices[i] as string;
    const model = trace.models.find((m) => m.id === id);
    cost += model ? callCost(model, item) : 0;
    quality += labelOf(item, id).quality;
    if (id === scale.strongest.id) strong++;
    if (labelOf(item, id).success) success++;
  });
  const point = (): OperatingPoint => ({
    cost: (cost - scale.weakCost) / span,
    pgr: pgrOf(quality / n, scale),
    quality: quality / n,
    strongShare: strong / n,
    successRate: success / n,
  });
  const points = [point()];
  for (const u of upgrades) {
    const item = trace.items[u.item];
    if (!item) continue;
    const from = choices[u.item] as string;
    cost += u.dCost;
    quality += u.dQuality;
    strong += (u.to === scale.strongest.id ? 1 : 0) - (from === scale.strongest.id ? 1 : 0);
    success += (labelOf(item, u.to).success ? 1 : 0) - (labelOf(item, from).success ? 1 : 0);
    choices[u.item] = u.to;
    points.push(point());
  }

  return {
    points,
    within(budget: number): OracleAt {
      const choices = [...start];
      let spent = 0;
      let price = upgrades[0]?.slope ?? 0;
      for (const u of upgrades) {
        // A small tolerance: the budget usually comes from summing the same costs in another order.
        if ((spent + u.dCost) / span > budget + 1e-9) break;
        spent += u.dCost;
        choices[u.item] = u.to;
        price = u.slope;
      }
      return { choices, price };
    },
  };
}
