import type { Filter, RouteCandidate, RoutingContext } from '../plugin.js';

/** Which pin excludes the candidate at table index `i` (undefined: none). */
function excludedBy(i: number, ctx: RoutingContext): string | undefined {
  const candidate = ctx.table.candidates[i] as RouteCandidate;
  if (ctx.pinnedModel !== undefined && candidate.modelId !== ctx.pinnedModel)
    return `request pinned model ${ctx.pinnedModel}`;
  for (const rule of ctx.rules) {
    const models = rule.pinModels;
    if (models && !models.includes(candidate.modelId) && !models.includes(candidate.model.tier))
      return `role rule "${rule.role}" pins models ${models.join(', ')}`;
    const nodes = rule.pinNodes;
    if (
      nodes &&
      !nodes.includes(candidate.nodeId) &&
      !candidate.node.labels.some((label) => nodes.includes(label))
    )
      return `role rule "${rule.role}" pins nodes ${nodes.join(', ')}`;
  }
  return undefined;
}

const why = (i: number, ctx: RoutingContext) => excludedBy(i, ctx) ?? 'pinned elsewhere';

/**
 * Hard pins: a concrete model id in the request, and role rules' pinModels / pinNodes.
 * pinModels match a model id or a tier; pinNodes match a node id or one of its labels.
 */
export function policyPinsFilter(): Filter {
  return {
    name: 'policy-pins',
    filter(idx, count, ctx, removed) {
      let pins = ctx.pinnedModel !== undefined;
      for (const rule of ctx.rules) if (rule.pinModels || rule.pinNodes) pins = true;
      if (!pins) return count;
      let kept = 0;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        if (excludedBy(i, ctx) === undefined) idx[kept++] = i;
        else removed.add(i, why);
      }
      return kept;
    },
  };
}
