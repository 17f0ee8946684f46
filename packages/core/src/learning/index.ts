export * from './bounded-lru.js';
export * from './cold-start.js';
export * from './learned-quality.js';
export * from './output-length.js';
export * from './prng.js';
export * from './quality-stat.js';
export * from './reward.js';
export * from './session-affinity.js';
