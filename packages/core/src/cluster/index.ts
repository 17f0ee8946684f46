export * from './node-state.js';
export * from './cluster-state.js';
