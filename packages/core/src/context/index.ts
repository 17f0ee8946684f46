export * from './agent-context.js';
