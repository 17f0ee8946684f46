export * from './counting-proxy.js';
export * from './haproxy.js';
export * from './mlx-node.js';
export * from './paths.js';
export * from './ports.js';
export * from './redis.js';
