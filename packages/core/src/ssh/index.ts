export * from './connection.js';
export * from './errors.js';
export * from './hardware.js';
export * from './host-key.js';
export * from './models-on-disk.js';
export * from './pool.js';
export * from './quote.js';
export * from './server-control.js';
