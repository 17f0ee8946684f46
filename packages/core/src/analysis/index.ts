export * from './analyze.js';
export * from './complexity.js';
export * from './task-type.js';
export * from './text-of.js';
export * from './tokens.js';
