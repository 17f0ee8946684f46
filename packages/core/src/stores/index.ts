export * from './memory-stats-store.js';
export * from './open-stats-store.js';
export * from './redis-stats-store.js';
export * from './sqlite-stats-store.js';
export * from './stats-store.js';
