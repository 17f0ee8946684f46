import type { OracleAt } from './oracle-frontier.js';
import { callCost } from './quality-at-cost.js';
import { type LabelledTrace, labelOf, type TraceItem } from './trace.js';

/**
 * Regret over time against the oracle given the router's budget (`OracleFrontier.within` at the
 * router's cost), per request index and summed:
 * - quality regret: the oracle's quality minus the routed quality. Spending shifts move it: a
 *   router that learns to save on easy work late in the trace is charged for the saving.
 * - priced regret: the same with cost priced at the oracle's exchange rate at that budget,
 *   (q* − price·c*) − (q − price·c). Never negative per request (the oracle's choice maximises
 *   q − price·c on every item), and it falls only when the choices themselves get better.
 */

export interface RegretSeries {
  perRequest: number[];
  cumulative: number[];
  firstHalfMean: number;
  secondHalfMean: number;
}

export interface RegretCurve {
  quality: RegretSeries;
  priced: RegretSeries;
}

function series(perRequest: number[]): RegretSeries {
  const cumulative: number[] = [];
  let sum = 0;
  for (const r of perRequest) {
    sum += r;
    cumulative.push(sum);
  }
  const half = Math.floor(perRequest.length / 2);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  return {
    perRequest,
    cumulative,
    firstHalfMean: mean(perRequest.slice(0, half)),
    secondHalfMean: mean(perRequest.slice(half)),
  };
}

export function regretCurve(trace: LabelledTrace, routed: readonly string[], oracle: OracleAt): RegretCurve {
  if (routed.length !== trace.items.length || oracle.choices.length !== trace.items.length)
    throw new Error('regret needs one routed and one oracle choice per trace item');
  const costOf = (item: TraceItem, id: string) => {
    const model = trace.models.find((m) => m.id === id);
    if (!model) throw new Error(`model "${id}" is not in the trace`);
    return callCost(model, item);
  };
  const quality: number[] = [];
  const priced: number[] = [];
  trace.items.forEach((item, i) => {
    const best = oracle.choices[i] as string;
    const got = routed[i] as string;
    const dq = labelOf(item, best).quality - labelOf(item, got).quality;
    quality.push(dq);
    priced.push(dq - oracle.price * (costOf(item, best) - costOf(item, got)));
  });
  return { quality: series(quality), priced: series(priced) };
}
