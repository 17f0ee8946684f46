import { TOKEN_ESTIMATE_MARGIN } from '../../analysis/tokens.js';
import { BrokeError } from '../../errors.js';
import { noRouteError } from '../pipeline.js';
import { type Filter, fastFilter, type RouteCandidate, type RoutingContext } from '../plugin.js';

/**
 * Removes models whose context window cannot hold the prompt plus the reply. The prompt
 * estimate is inflated by the token estimator's error margin so a low estimate cannot overflow.
 */
export function contextWindowFilter(): Filter {
  const neededFor = (ctx: RoutingContext) =>
    Math.ceil(ctx.analysis.promptTokens * (1 + TOKEN_ESTIMATE_MARGIN)) + ctx.expectedOutputTokens;
  const reason = (candidate: RouteCandidate, ctx: RoutingContext) => {
    const needed = neededFor(ctx);
    const window = candidate.model.contextLength;
    return needed > window ? `needs ~${needed} tokens, context window is ${window}` : undefined;
  };
  const filter = fastFilter('context-window', reason, (idx, count, ctx, removed) => {
    const needed = neededFor(ctx);
    const windows = ctx.table.contextOf;
    let kept = 0;
    for (let k = 0; k < count; k++) {
      const i = idx[k] as number;
      if ((windows[i] as number) >= needed) idx[kept++] = i;
      else removed.push(i);
    }
    return kept;
  });
  return {
    ...filter,
    // Too long for every configured model (not only those up now): the client's to fix, OpenAI's
    // 400, not a 5xx that SDKs would retry. Otherwise the usual 503: a bigger model may come back.
    whenEmpty: (removed, ctx) => {
      const needed = neededFor(ctx);
      if (ctx.table.contextOf.some((window) => window >= needed))
        return noRouteError('context-window', removed, removed.length);
      return new BrokeError(
        'context_length_exceeded',
        `The prompt and reply do not fit any model's context window: ${removed[0]?.reason ?? ''}`,
        { status: 400, hint: 'shorten the messages or lower max_tokens' },
      );
    },
  };
}
