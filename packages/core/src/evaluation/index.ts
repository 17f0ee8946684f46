// Routing evaluation: a labelled trace generated from the simulation's workload and oracle,
// replayed through the real Router and compared with the oracle, random and single models by
// quality at cost (RouteLLM's PGR and APGR) and regret over time.

export * from './baselines.js';
export * from './evaluate.js';
export * from './oracle-frontier.js';
export * from './quality-at-cost.js';
export * from './regret.js';
export * from './replay.js';
export * from './trace.js';
