import { z } from 'zod';
import { strictObject } from './unknown-keys.js';

/**
 * The top-level `warmup:` block: predictive warm-up (cluster/warm-up.ts). After each route the
 * gateway predicts the session's next role from the team's learned role transitions and, when
 * that role's usual model is cold on its node, loads it ahead with a one-token generation.
 *
 * Off by default: on a single-model server (mlx_lm.server) a warm-up replaces the loaded model,
 * so a wrong guess makes the next turn of another role cold instead. Turn it on where a team's
 * turn order is regular and cold loads are slow; the thresholds below are deliberately cautious.
 */
export const WarmupSchema = strictObject({
  enabled: z.boolean().default(false),
  /** Warm only when the predicted next role follows the current one at least this often. */
  minProbability: z.number().min(0).max(1).default(0.7),
  /** Transitions seen from the current role (in this team) before any prediction is trusted. */
  minObservations: z.number().int().min(1).default(5),
  /** Per node: at most one warm-up at a time, and at least this long between two. */
  minIntervalMs: z.number().int().min(0).default(10_000),
  /** How long a warm-up generation may take (a large cold model loads for a while). */
  timeoutMs: z.number().int().min(100).default(120_000),
});
export type WarmupConfig = z.infer<typeof WarmupSchema>;
