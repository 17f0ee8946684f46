import type { RoleRule } from '../../config/schema.js';
import { type RouteCandidate, type Scorer, valueScorer } from '../plugin.js';

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

function namesAny(entries: readonly string[], candidate: RouteCandidate): boolean {
  for (const entry of entries) if (names(entry, candidate)) return true;
  return false;
}

function preference(rules: readonly RoleRule[], candidate: RouteCandidate): number {
  let score = 0.5;
  for (const rule of rules) {
    if (namesAny(rule.prefer, candidate)) score += 0.5;
    if (namesAny(rule.avoid, candidate)) score -= 0.5;
  }
  return score < 0 ? 0 : Math.min(score, 1);
}

/**
 * Soft preferences from config role rules: preferred 1, neutral 0.5, avoided 0. The matched rule
 * list is the same array per (team, role, task type) (RoleRuleIndex caches it), so the scores for
 * all candidates are computed once per rule list and reused.
 */
export function roleRulesScorer(): Scorer {
  const byRules = new WeakMap<readonly RoleRule[], Float64Array>();
  return valueScorer(
    'role-rules',
    (candidate, ctx) => (ctx.rules.length === 0 ? 0.5 : preference(ctx.rules, candidate)),
    (_candidate, score, ctx) =>
      ctx.rules.length === 0
        ? 'no role rule'
        : score > 0.5
          ? 'preferred by role rule'
          : score < 0.5
            ? 'avoided by role rule'
            : 'not named by role rules',
    undefined,
    (idx, count, ctx, out, offset) => {
      if (ctx.rules.length === 0) {
        out.fill(0.5, offset, offset + count);
        return;
      }
      const table = ctx.table as NonNullable<typeof ctx.table>;
      let all = byRules.get(ctx.rules);
      if (!all || all.length !== table.candidates.length) {
        all = Float64Array.from(table.candidates, (candidate) => preference(ctx.rules, candidate));
        byRules.set(ctx.rules, all);
      }
      for (let k = 0; k < count; k++) out[offset + k] = all[idx[k] as number] as number;
    },
  );
}
