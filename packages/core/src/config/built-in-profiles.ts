import type { Objective } from './schema.js';

/**
 * Built-in objectives (see ObjectiveSchema and objective.ts): quality points given up per typical
 * request's worth of extra time. `latency` (0.3) takes a slower model only for a large quality
 * gain; `quality` (0.005) for almost any, and waits for it; `balanced` (0.04) sits at their
 * geometric middle.
 */
export const BUILT_IN_PROFILES: Readonly<Record<'quality' | 'balanced' | 'latency', Objective>> = {
  quality: { latencyWeight: 0.005 },
  balanced: { latencyWeight: 0.04 },
  latency: { latencyWeight: 0.3 },
};
