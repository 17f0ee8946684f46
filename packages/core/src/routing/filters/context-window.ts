import { TOKEN_ESTIMATE_MARGIN } from '../../analysis/tokens.js';
import { BrokeError } from '../../errors.js';
import { noRouteError } from '../pipeline.js';
import type { Filter, RoutingContext } from '../plugin.js';

const neededFor = (ctx: RoutingContext) =>
  Math.ceil(ctx.analysis.promptTokens * (1 + TOKEN_ESTIMATE_MARGIN)) + ctx.expectedOutputTokens;

const why = (i: number, ctx: RoutingContext) =>
  `needs ~${neededFor(ctx)} tokens, context window is ${ctx.table.contextOf[i]}`;

/**
 * Removes models whose context window cannot hold the prompt plus the reply. The prompt
 * estimate is inflated by the token estimator's error margin so a low estimate cannot overflow.
 */
export function contextWindowFilter(): Filter {
  return {
    name: 'context-window',
    filter(idx, count, ctx, removed) {
      const needed = neededFor(ctx);
      const windows = ctx.table.contextOf;
      let kept = 0;
      for (let k = 0; k < count; k++) {
        const i = idx[k] as number;
        if ((windows[i] as number) >= needed) idx[kept++] = i;
        else removed.add(i, why);
      }
      return kept;
    },
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
