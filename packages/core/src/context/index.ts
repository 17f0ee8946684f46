export * from './agent-context.js';
export * from './run-tracker.js';
