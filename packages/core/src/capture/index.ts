export * from './export-filter.js';
export * from './interaction-capture.js';
export * from './interaction-schema.js';
export * from './interaction-store.js';
export * from './redaction.js';
export * from './write-json-schema.js';
