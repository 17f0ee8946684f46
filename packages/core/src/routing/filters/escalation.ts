import { TIERS } from '../../config/tiers.js';
import { NoRouteError } from '../../errors.js';
import { escalationCost } from '../../learning/escalation-spend.js';
import { PRIOR_STRENGTH } from '../../learning/learned-quality.js';
import { type QualityTemperature, routeTemperature } from '../../learning/quality-temperature.js';
import { learnedQualityFactor } from '../factors/learned-quality.js';
import { qualityPriorFactor } from '../factors/quality-prior.js';
import { roleRulesFactor } from '../factors/role-rules.js';
import type { Estimates, Filter, RouteCandidate, RoutingContext } from '../plugin.js';

/** A money amount as the explanation shows it (no currency: the config's numbers are the user's). */
const money = (x: number) => String(Number(x.toFixed(6)));

/** What a request is estimated to cost on this candidate (prompt estimate + expected reply). */
export function estimatedCost(candidate: RouteCandidate, ctx: RoutingContext): number {
  const price = candidate.node.escalation;
  return price ? escalationCost(price, ctx.analysis.promptTokens, ctx.expectedOutputTokens) : 0;
}

/**
 * Keeps escalation nodes (`nodes[].escalation`: paid or remote endpoints) out unless every local
 * candidate left is predicted red, or none is left (all saturated, down or filtered), and the
 * team's budget left today covers the request's estimated cost. When it escalates, the local
 * candidates are removed (each with its predicted quality, so the explanation says why); when it
 * does not, the escalation candidates are (not red, or over budget). Runs after saturation.
 * Predicted quality is the pipeline's own quality factors run on the local candidates, and the
 * colour is the response's temperature (routeTemperature with routing.temperature). A cluster
 * without escalation nodes has no ledger (ctx.escalation) and pays one property read.
 */
export function escalationFilter(): Filter {
  const factors = [qualityPriorFactor(), learnedQualityFactor(), roleRulesFactor()];
  let local = new Int32Array(0);
  let paid = new Int32Array(0);
  let quality = new Float64Array(0);
  let strength = new Float64Array(0);
  let term = new Float64Array(0);
  const paidOf = new WeakMap<object, Uint8Array>();

  /** The colour and quality of each local candidate; returns the best (highest quality) one. */
  function coolest(
    count: number,
    ctx: RoutingContext,
  ): { k: number; colour: QualityTemperature; red: boolean } {
    quality.fill(0, 0, count);
    strength.fill(PRIOR_STRENGTH, 0, count);
    const sums: Estimates = { quality, strength, timeMs: term };
    for (const factor of factors) {
      factor.estimate(local, count, ctx, term, sums);
      for (let k = 0; k < count; k++) {
        const t = term[k] as number;
        if (Number.isFinite(t)) quality[k] = (quality[k] as number) + t;
      }
    }
    let best = 0;
    let bestColour: QualityTemperature = 'red';
    let allRed = true;
    for (let k = 0; k < count; k++) {
      const candidate = ctx.table.candidates[local[k] as number] as RouteCandidate;
      const s = strength[k] as number;
      const colour = routeTemperature(
        {
          quality: quality[k] as number,
          strength: s,
          evidence: Math.max(0, s - PRIOR_STRENGTH),
          complexity: ctx.analysis.complexity,
          tier: TIERS[candidate.tierRank] ?? 'medium',
          fellBack: false,
        },
        ctx.config.routing.temperature,
      );
      if (colour !== 'red') allRed = false;
      if (k === 0 || (quality[k] as number) > (quality[best] as number)) {
        best = k;
        bestColour = colour;
      }
    }
    return { k: best, colour: bestColour, red: allRed };
  }

  return {
    name: 'escalation',
    filter(idx, count, ctx, removed) {
      const spend = ctx.escalation;
      if (spend === undefined) return count;
      let isPaid = paidOf.get(ctx.table);
      if (!isPaid) {
        isPaid = Uint8Array.from(ctx.table.candidates, (c) => (c.node.escalation ? 1 : 0));
        paidOf.set(ctx.table, isPaid);
      }
      if (local.length < count) {
        local = new Int32Array(count);
        paid = new Int32Array(count);
        quality = new Float64Array(count);
        strength = new Float64Array(count);
        term = new Float64Array(count);
      }
      let locals = 0;
      let paids = 0;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        if (isPaid[i] === 1) paid[paids++] = i;
        else local[locals++] = i;
      }
      if (paids === 0) return count;

      const all = ctx.table.candidates;
      let notRed: string | undefined;
      let because = 'no local candidate can serve';
      if (locals > 0) {
        const best = coolest(locals, ctx);
        const name = (all[local[best.k] as number] as RouteCandidate).modelId;
        const where = (all[local[best.k] as number] as RouteCandidate).nodeId;
        const q = (quality[best.k] as number).toFixed(2);
        if (!best.red)
          notRed = `not escalated: local ${name}@${where} is predicted ${best.colour} (quality ${q}), not red`;
        else because = `every local candidate is predicted red (best ${name}@${where}, quality ${q})`;
      }

      const team = ctx.team;
      const left = spend.remaining(team, ctx.now);
      let kept = 0;
      let escalating = false;
      for (let p = 0; p < paids; p++) {
        const i = paid[p] as number;
        const candidate = all[i] as RouteCandidate;
        if (notRed !== undefined) {
          removed.add(i, notRed);
          continue;
        }
        const cost = estimatedCost(candidate, ctx);
        if (cost > left) {
          removed.add(
            i,
            `not escalated: over budget (team ${team} has ${money(Math.max(left, 0))} of ${money(spend.budgetOf(team))} left today; this request ~${money(cost)})`,
          );
          continue;
        }
        escalating = true;
      }
      if (escalating) {
        const reason = `escalated: ${because}; team ${team} has ${money(left)} of ${money(spend.budgetOf(team))} left today`;
        for (let l = 0; l < locals; l++) removed.add(local[l] as number, reason);
      }
      // Keep the survivors in their original order.
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        const keep =
          isPaid[i] === 1 ? escalating && estimatedCost(all[i] as RouteCandidate, ctx) <= left : !escalating;
        if (keep) idx[kept++] = i;
      }
      return kept;
    },
    whenEmpty: (removed) =>
      new NoRouteError(
        `No local candidate can serve and escalation is not allowed: ${removed[0]?.reason ?? 'over budget'}`,
        {
          hint: "raise the team's escalation.budgetPerDay, or wait for a local node (budgets reset at 00:00 UTC)",
        },
      ),
  };
}
