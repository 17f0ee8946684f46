import { BrokeError } from '../../errors.js';
import { capabilityBits } from '../candidate-table.js';
import { noRouteError } from '../pipeline.js';
import type { Filter, RouteCandidate, RoutingContext } from '../plugin.js';

const why = (i: number, ctx: RoutingContext) => {
  const have = (ctx.table.candidates[i] as RouteCandidate).model.capabilities;
  const missing = (ctx.request.requires ?? []).filter((capability) => !have.includes(capability));
  return `lacks ${missing.join(', ')}`;
};

/** Removes models lacking a capability the request needs (tools, json, vision...). */
export function capabilitiesFilter(): Filter {
  return {
    name: 'capabilities',
    filter(idx, count, ctx, removed) {
      const required = ctx.request.requires;
      if (!required || required.length === 0) return count;
      const need = capabilityBits(required);
      const caps = ctx.table.capsOf;
      let kept = 0;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        if (((caps[i] as number) & need) === need) idx[kept++] = i;
        else removed.add(i, why);
      }
      return kept;
    },
    // No configured model can do it at all: the request asks what this cluster does not offer,
    // a 400 (as OpenAI answers images sent to a text model), not a retryable 503.
    whenEmpty: (removed, ctx) => {
      const need = capabilityBits(ctx.request.requires ?? []);
      if (ctx.table.capsOf.some((caps) => (caps & need) === need))
        return noRouteError('capabilities', removed, removed.length);
      return new BrokeError(
        'unsupported_capability',
        `No configured model offers what the request needs: ${removed[0]?.reason ?? ''}`,
        {
          status: 400,
          hint: 'drop tools / response_format / images, or configure a model with that capability',
        },
      );
    },
  };
}
