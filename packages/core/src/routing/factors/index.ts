import type { Factor } from '../plugin.js';
import { coldLoadFactor } from './cold-load.js';
import { handOffFactor } from './hand-off.js';
import { learnedQualityFactor } from './learned-quality.js';
import { qualityPriorFactor } from './quality-prior.js';
import { queueWaitFactor } from './queue-wait.js';
import { roleRulesFactor } from './role-rules.js';
import { runTimeFactor } from './run-time.js';
import { sessionCacheFactor } from './session-cache.js';
import { teamSlackFactor } from './team-slack.js';

export { coldLoadFactor } from './cold-load.js';
export { handOffFactor } from './hand-off.js';
export { learnedQualityFactor } from './learned-quality.js';
export { qualityPriorFactor } from './quality-prior.js';
export { aheadInQueue, queueWaitFactor } from './queue-wait.js';
export { AVOID_PENALTY, PREFER_BONUS, roleRulesFactor } from './role-rules.js';
export { DEFAULT_PERF, othersAtStart, runTimeFactor, serviceMs } from './run-time.js';
export { sessionCacheFactor } from './session-cache.js';
export { teamSlackFactor } from './team-slack.js';

/**
 * Built-in factors in the order they run (fresh instances: some keep per-route scratch state).
 * Quality: the prior first, learning corrects it, role rules add preferences. Time: run, wait,
 * load, cache. A new factor is one file plus one line here.
 */
export function defaultFactors(): Factor[] {
  return [
    qualityPriorFactor(),
    learnedQualityFactor(),
    roleRulesFactor(),
    handOffFactor(),
    runTimeFactor(),
    queueWaitFactor(),
    coldLoadFactor(),
    sessionCacheFactor(),
    teamSlackFactor(),
  ];
}
