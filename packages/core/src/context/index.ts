export * from './agent-context.js';
export * from './aliases.js';
export * from './from-headers.js';
export * from './from-metadata.js';
export * from './run-tracker.js';
export * from './validate.js';
