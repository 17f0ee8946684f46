export * from './chat.js';
export * from './node-driver.js';
