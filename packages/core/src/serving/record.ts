import type { Outcome } from '../learning/outcome.js';
import { afterAnswer } from './after-answer.js';
import type { RouterLike } from './router-like.js';

/**
 * Hands an outcome to the router off the response path, once the answer is out (after-answer.ts):
 * learning and a slow store never delay or fail an answer.
 */
export function recordOutcome(router: RouterLike, routeId: string, outcome: Outcome): void {
  afterAnswer(() => router.recordOutcome(routeId, outcome).catch(ignore));
}

function ignore(): void {}
