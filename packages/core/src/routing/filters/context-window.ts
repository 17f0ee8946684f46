import { TOKEN_ESTIMATE_MARGIN } from '../../analysis/tokens.js';
import { type Filter, predicateFilter } from '../plugin.js';

/**
 * Removes models whose context window cannot hold the prompt plus the reply. The prompt
 * estimate is inflated by the token estimator's error margin so a low estimate cannot overflow.
 */
export function contextWindowFilter(): Filter {
  return predicateFilter('context-window', (candidate, ctx) => {
    const needed =
      Math.ceil(ctx.analysis.promptTokens * (1 + TOKEN_ESTIMATE_MARGIN)) + ctx.expectedOutputTokens;
    const window = candidate.model.contextLength;
    return needed > window ? `needs ~${needed} tokens, context window is ${window}` : undefined;
  });
}
