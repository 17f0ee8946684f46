export * from './baseline-schema.js';
export * from './baselines.js';
export * from './cluster-state.js';
export * from './measure.js';
export * from './monitor.js';
export * from './node-state.js';
export * from './ssh-memory.js';
export * from './validation.js';
