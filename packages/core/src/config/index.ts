export * from './format-issues.js';
export * from './json-schema.js';
export * from './loader.js';
export * from './schema.js';
export * from './write-json-schema.js';
