export * from './mlx-node.js';
export * from './paths.js';
export * from './ports.js';
export * from './redis.js';
