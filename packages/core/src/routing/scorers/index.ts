import type { Scorer } from '../plugin.js';
import { expectedLatencyScorer } from './expected-latency.js';
import { learnedQualityScorer } from './learned-quality.js';
import { loadScorer } from './load.js';
import { roleRulesScorer } from './role-rules.js';
import { sessionAffinityScorer } from './session-affinity.js';
import { tierFitScorer } from './tier-fit.js';
import { warmModelScorer } from './warm-model.js';

export { expectedLatencyMs, expectedLatencyScorer } from './expected-latency.js';
export { learnedQualityScorer } from './learned-quality.js';
export { loadRatio, loadScorer } from './load.js';
export { roleRulesScorer } from './role-rules.js';
export { sessionAffinityScorer } from './session-affinity.js';
export { tierFitScorer } from './tier-fit.js';
export { warmModelScorer } from './warm-model.js';

/** Built-in scorers (fresh instances: some keep per-route scratch state). */
export function defaultScorers(): Scorer[] {
  return [
    tierFitScorer(),
    expectedLatencyScorer(),
    loadScorer(),
    warmModelScorer(),
    learnedQualityScorer(),
    sessionAffinityScorer(),
    roleRulesScorer(),
  ];
}
