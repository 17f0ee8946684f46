import { type Filter, predicateFilter } from '../plugin.js';

/**
 * Hard pins: a concrete model id in the request, and role rules' pinModels / pinNodes.
 * pinModels match a model id or a tier; pinNodes match a node id or one of its labels.
 */
export function policyPinsFilter(): Filter {
  return predicateFilter('policy-pins', (candidate, ctx) => {
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
  });
}
