import { z } from 'zod';
import { ANY, type QualityStat } from '../learning/quality-stat.js';
import type { NodeState } from './node-state.js';

/** One node as `GET /v1/status` and `broke-cluster status` report it. */
export const NodeStatusSchema = z.object({
  id: z.string(),
  up: z.boolean(),
  /** Models that passed a probe generation (empty while down). */
  validatedModels: z.array(z.string()),
  /** Models resident in memory, when the server shows it; null when it cannot be observed. */
  loadedModels: z.array(z.string()).nullable(),
  /** Requests the gateway has on the node now. */
  inFlight: z.number(),
  capacity: z.number(),
  /** Requests waiting in the gateway for a slot on this node. */
  waiting: z.number(),
  /** Requests waiting on the server's own queue, where it exposes one. */
  queued: z.number(),
  memory: z
    .object({
      totalGb: z.number().optional(),
      freeGb: z.number().optional(),
      pressure: z.enum(['normal', 'warn', 'critical']).optional(),
    })
    .nullable(),
  /** ms epoch of the last good poll; 0 when never seen. */
  lastSeen: z.number(),
  /** ms epoch until which the router avoids the node after a failure; null when it does not. */
  coolingDownUntil: z.number().nullable(),
  /** The last failure seen on the node (a failed poll, a request it failed), so DOWN says why. */
  lastError: z.object({ at: z.number(), message: z.string() }).nullable(),
});
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

/** What feedback and outcomes taught about a model so far, across everyone, per difficulty band. */
export const QualitySummarySchema = z.object({
  modelId: z.string(),
  band: z.enum(['low', 'medium', 'high']),
  /** Evidence folded in (judged feedback and implicit outcomes). */
  evidence: z.number(),
  /** Learned mean quality 0..1. */
  mean: z.number(),
});
export type QualitySummary = z.infer<typeof QualitySummarySchema>;

/** Escalation spend today per team (only when some node is an escalation node). */
export const EscalationSpendSchema = z.object({
  /** UTC day (budgets reset at 00:00 UTC). */
  day: z.string(),
  teams: z.array(z.object({ team: z.string(), budget: z.number(), spent: z.number(), reserved: z.number() })),
});

export const StatusReportSchema = z.object({
  object: z.literal('broke.status'),
  /** ms epoch the report was made. */
  at: z.number(),
  nodes: z.array(NodeStatusSchema),
  quality: z.array(QualitySummarySchema),
  escalation: EscalationSpendSchema.optional(),
});
export type StatusReport = z.infer<typeof StatusReportSchema>;

/** The cluster as it stands, from the in-memory state the router reads (and learned statistics). */
export function statusReport(
  nodes: readonly NodeState[],
  stats: Iterable<QualityStat> = [],
  now = Date.now(),
  escalation?: z.infer<typeof EscalationSpendSchema>,
): StatusReport {
  return {
    object: 'broke.status',
    at: now,
    nodes: nodes.map((s) => ({
      id: s.id,
      up: s.up,
      validatedModels: [...(s.validatedModels ?? [])],
      loadedModels: s.loadedModels ? [...s.loadedModels] : null,
      inFlight: s.inFlight,
      capacity: s.capacity,
      waiting: s.waiting ?? 0,
      queued: s.queued,
      memory: s.memory ? { ...s.memory } : null,
      lastSeen: s.lastSeen,
      coolingDownUntil: s.cooldownUntil > now ? s.cooldownUntil : null,
      lastError: s.lastError ? { ...s.lastError } : null,
    })),
    quality: qualitySummary(stats),
    ...(escalation ? { escalation } : {}),
  };
}

/** The pooled level only (every team, role and task type): one line per model and band. */
function qualitySummary(stats: Iterable<QualityStat>): QualitySummary[] {
  const out: QualitySummary[] = [];
  for (const s of stats) {
    if (s.team !== ANY || s.role !== ANY || s.taskType !== ANY || s.alpha + s.beta <= 0) continue;
    out.push({
      modelId: s.modelId,
      band: s.band,
      evidence: round(s.n),
      mean: round(s.alpha / (s.alpha + s.beta)),
    });
  }
  const order = { low: 0, medium: 1, high: 2 };
  return out.sort((a, b) => a.modelId.localeCompare(b.modelId) || order[a.band] - order[b.band]);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
