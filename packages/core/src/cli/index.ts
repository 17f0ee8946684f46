export { toCommunity } from './commands/export-config.js';
export { buildConfig, type HostReport } from './commands/init.js';
export * from './config-file.js';
export * from './discovery.js';
export * from './exit-codes.js';
export * from './output.js';
export * from './program.js';
export * from './prompts.js';
