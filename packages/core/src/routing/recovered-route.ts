import type { ComplexityBand } from '../analysis/complexity.js';
import { EXPLICIT_WEIGHT, implicitWeight } from '../learning/reward.js';
import type { OutcomeRecord } from '../stores/stats-store.js';
import type { DetailedRouteExplanation } from './explanation.js';
import type { RouteSummary } from './route-log.js';

/** What a router needs to learn from feedback on a route it no longer remembers. */
export interface RecoveredRoute {
  team: string;
  role: string;
  band: ComplexityBand;
  implicit?: { modelId: string; reward: number; weight: number };
  judged?: { modelId: string; reward: number; weight: number };
  summary: RouteSummary;
  served: { nodeId: string; modelId: string };
  servedOk: boolean;
  promptTokens: number;
  recovered: true;
}

/**
 * A route rebuilt from the store's log (after a restart, or once it left the router's memory):
 * who served it, its learning keys, and the evidence it already folded in, so a later judgement
 * replaces that evidence exactly as it would have before. The explanation is a skeleton: the
 * candidates and predictions of the original decision were not kept.
 */
export function recoveredRoute(log: readonly OutcomeRecord[]): RecoveredRoute | undefined {
  const last = log.at(-1);
  if (!last) return undefined;
  let implicit: RecoveredRoute['implicit'];
  let judged: RecoveredRoute['judged'];
  let ratings = 0;
  let ratingSum = 0;
  for (const r of log) {
    if (r.kind === 'feedback') {
      judged = { modelId: r.modelId, reward: r.reward, weight: EXPLICIT_WEIGHT };
      implicit = undefined;
      ratings += 1;
      ratingSum += r.reward;
    } else if (!judged)
      implicit = { modelId: r.modelId, reward: r.reward, weight: implicitWeight(r.success) };
  }
  const outcome = [...log].reverse().find((r) => r.kind === 'outcome');
  const served = { nodeId: last.nodeId, modelId: last.modelId };
  const summary: RouteSummary = {
    id: last.routeId,
    seq: 0,
    at: log[0]?.at ?? last.at,
    ...(last.owner !== undefined ? { owner: last.owner } : {}),
    ...(last.role !== '*' ? { role: last.role } : {}),
    ...(last.team !== '*' ? { team: last.team } : {}),
    taskType: last.taskType,
    ...served,
    status: outcome ? (outcome.success ? 'ok' : 'error') : 'pending',
    ...(outcome?.latencyMs !== undefined ? { latencyMs: outcome.latencyMs } : {}),
    ...(outcome?.tokens !== undefined ? { tokens: outcome.tokens } : {}),
    feedback: { count: ratings, meanScore: ratings ? ratingSum / ratings : null },
  };
  return {
    team: last.team,
    role: last.role,
    band: last.band ?? 'medium',
    ...(implicit ? { implicit } : {}),
    ...(judged ? { judged } : {}),
    summary,
    served,
    servedOk: outcome?.success ?? true,
    promptTokens: 0,
    recovered: true,
  };
}

/**
 * The explanation of a route whose decision detail is not kept (it left the detail cache, or the
 * route was rebuilt from the log): who served it and why there is no more to say.
 */
export function skeletonExplanation(
  summary: RouteSummary,
  served: { nodeId: string; modelId: string },
  ok: boolean,
  why: string,
): DetailedRouteExplanation {
  return {
    routeId: summary.id,
    at: new Date(summary.at).toISOString(),
    context: {
      ...(summary.role !== undefined ? { role: summary.role } : {}),
      ...(summary.team !== undefined ? { team: summary.team } : {}),
      ...(summary.sessionId !== undefined ? { sessionId: summary.sessionId } : {}),
    },
    analysis: { complexity: Number.NaN, taskType: summary.taskType, promptTokens: 0 },
    profile: 'unknown',
    objective: { latencyWeight: 0, description: 'not kept', expectedOutputTokens: 0, typicalMs: 0 },
    candidates: 0,
    filters: [],
    ranked: [],
    rankedOmitted: 0,
    // Fields picked, not spread: `served` may be the router's candidate, which has more.
    chosen: { nodeId: served.nodeId, modelId: served.modelId, servedName: served.modelId },
    explored: false,
    attempts: [{ nodeId: served.nodeId, modelId: served.modelId, ok }],
    summary: `served by ${served.nodeId}/${served.modelId}; the decision's details were not kept: ${why}`,
  };
}
