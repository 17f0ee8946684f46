import type { RoleRule } from '../../config/schema.js';
import type { Factor, RouteCandidate } from '../plugin.js';

/** Quality points a `prefer` entry adds and an `avoid` entry takes away: a stated preference. */
export const PREFER_BONUS = 0.1;
export const AVOID_PENALTY = 0.2;

/** Whether a prefer/avoid entry names this candidate: model id, tier, family, node id or label. */
function names(entry: string, candidate: RouteCandidate): boolean {
  return (
    entry === candidate.modelId ||
    entry === candidate.model.tier ||
    entry === candidate.model.family ||
    entry === candidate.nodeId ||
    candidate.node.labels.includes(entry)
  );
}

function preference(rules: readonly RoleRule[], candidate: RouteCandidate): number {
  let term = 0;
  for (const rule of rules) {
    if (rule.prefer.some((entry) => names(entry, candidate))) term += PREFER_BONUS;
    if (rule.avoid.some((entry) => names(entry, candidate))) term -= AVOID_PENALTY;
  }
  return term;
}

/**
 * Preferences from config role rules, as quality points. The matched rule list is the same
 * array per (team, role, task type) (RoleRuleIndex caches it), so terms are computed once per list.
 */
export function roleRulesFactor(): Factor {
  const byRules = new WeakMap<readonly RoleRule[], Float64Array>();
  return {
    name: 'role-rules',
    adds: 'quality',
    estimate(idx, count, ctx, out) {
      if (ctx.rules.length === 0) {
        out.fill(0, 0, count);
        return;
      }
      let all = byRules.get(ctx.rules);
      if (!all || all.length !== ctx.table.candidates.length) {
        all = Float64Array.from(ctx.table.candidates, (candidate) => preference(ctx.rules, candidate));
        byRules.set(ctx.rules, all);
      }
      for (let k = 0; k < count; k++) out[k] = all[idx[k] as number] as number;
    },
    note: (_candidate, term, ctx) =>
      ctx.rules.length === 0
        ? undefined
        : term > 0
          ? 'preferred by role rule'
          : term < 0
            ? 'avoided by role rule'
            : 'not named by role rules',
  };
}
