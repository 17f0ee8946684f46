// Cluster simulation: hardware profiles, the service-time rule, an agent-team workload and the
// hidden quality oracle. Pure and seeded (no I/O, no clock), shared by the wall-clock emulation
// (bench/cluster) and the discrete-event simulator.

export * from './cluster-config.js';
export * from './event-queue.js';
export * from './hardware.js';
export * from './oracle.js';
export * from './policies.js';
export * from './prompts.js';
export * from './quality-bound.js';
export * from './random.js';
export * from './run-policies.js';
export * from './service-time.js';
export * from './simulator.js';
export * from './summary.js';
export * from './workload.js';
