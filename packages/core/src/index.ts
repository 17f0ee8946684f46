// @broke/core public API. Each area has its own folder and barrel; see README "Layout".
export * from './errors.js';
export * from './context/index.js';
export * from './config/index.js';
export * from './cluster/index.js';
export * from './drivers/index.js';
export * from './routing/index.js';
export * from './http/index.js';
export * from './analysis/index.js';
export * from './learning/index.js';
export * from './stores/index.js';
