import type { Outcome } from '../learning/outcome.js';
import type { RouterLike } from './router-like.js';

/** Hands an outcome to the router off the response path: a slow store never delays or fails an answer. */
export function recordOutcome(router: RouterLike, routeId: string, outcome: Outcome): void {
  router.recordOutcome(routeId, outcome).catch(ignore);
}

function ignore(): void {}
