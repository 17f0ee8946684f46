import { capabilityBits } from '../candidate-table.js';
import { type Filter, fastFilter, type RouteCandidate, type RoutingContext } from '../plugin.js';

/** Removes models lacking a capability the request needs (tools, json, vision...). */
export function capabilitiesFilter(): Filter {
  const reason = (candidate: RouteCandidate, ctx: RoutingContext) => {
    const required = ctx.request.requires;
    if (!required || required.length === 0) return undefined;
    const missing = required.filter((capability) => !candidate.model.capabilities.includes(capability));
    return missing.length > 0 ? `lacks ${missing.join(', ')}` : undefined;
  };
  return fastFilter('capabilities', reason, (idx, count, ctx, removed) => {
    const required = ctx.request.requires;
    if (!required || required.length === 0) return count;
    const need = capabilityBits(required);
    const caps = ctx.table.capsOf;
    let kept = 0;
    for (let k = 0; k < count; k++) {
      const i = idx[k] as number;
      if (((caps[i] as number) & need) === need) idx[kept++] = i;
      else removed.push(i);
    }
    return kept;
  });
}
