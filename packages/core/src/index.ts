// @broke/core public API. Each area has its own folder and barrel; see README "Layout".

export * from './analysis/index.js';
export * from './bounded-lru.js';
export * from './capture/index.js';
export {
  buildProgram,
  DEFAULT_PORTS,
  detectServer,
  EXIT,
  exitCodeFor,
  type FoundServer,
  runCli,
  STANDARD_SUITE,
  SUITE_NAME,
  toCommunity,
} from './cli/index.js';
export * from './cluster/index.js';
export * from './config/index.js';
export * from './context/index.js';
export * from './drivers/index.js';
export * from './errors.js';
export * from './http/index.js';
export * from './learning/index.js';
export * from './model-facts/index.js';
export * from './observability/index.js';
export * from './routing/index.js';
export * from './serving/index.js';
// A namespace: the simulation's names (TaskKind, Agent, …) would clash with the router's.
export * as simulation from './simulation/index.js';
export * from './spec/index.js';
export * from './ssh/index.js';
export * from './stores/index.js';
