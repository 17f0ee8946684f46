import { type Filter, predicateFilter } from '../plugin.js';

/** Removes models lacking a capability the request needs (tools, json, vision...). */
export function capabilitiesFilter(): Filter {
  return predicateFilter('capabilities', (candidate, ctx) => {
    const required = ctx.request.requires;
    if (!required || required.length === 0) return undefined;
    const missing = required.filter((capability) => !candidate.model.capabilities.includes(capability));
    return missing.length > 0 ? `lacks ${missing.join(', ')}` : undefined;
  });
}
