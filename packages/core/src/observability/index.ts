export * from './events.js';
export * from './label-fold.js';
export * from './logger.js';
export * from './metrics.js';
export * from './request-log.js';
export * from './request-logger.js';
export * from './request-trace.js';
export * from './tracing.js';
