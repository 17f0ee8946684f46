export * from './paths.js';
export * from './ports.js';
export * from './mlx-node.js';
