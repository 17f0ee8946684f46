import type { AgentContext, QualityTemperature, RouteExplanation, ScoredCandidate } from '@broke/core';
import type { RouteRef } from './backend/types.js';

/**
 * The route of one call in the shape `GET /v1/routes` lists routes (snake_case, `null` where
 * unknown), so what an application reads from a message matches what the gateway's listing shows.
 * `node` / `model` are the ones that served the call (after any failover); `route_id` is the
 * listing's `id` and the completion's id.
 */
export interface BrokeRouteSummary {
  route_id: string;
  node: string | null;
  model: string | null;
  role: string | null;
  team: string | null;
  session: string | null;
  task_type: AgentContext['taskType'] | null;
  /** Assistant turns before this call. */
  depth: number | null;
  /** The router's predicted quality (0..1) of the chosen candidate; null without an explanation. */
  predicted_quality: number | null;
  /** The router's predicted milliseconds for the chosen candidate; null without an explanation. */
  predicted_ms: number | null;
  /** Whether the router explored (tried an uncertain candidate); null without an explanation. */
  explored: boolean | null;
  /**
   * How far to trust the answer: green, yellow, orange or red (the gateway's
   * `x-broke-quality-temperature`); null without an explanation. A reviewer re-checks orange/red.
   */
  temperature: QualityTemperature | null;
}

/**
 * Where a call went and why, as it appears in `response_metadata.broke` (and `llmOutput.broke`):
 * the listing's snake_case fields, plus the camelCase fields this package always had.
 * `reasons` are readable lines: the router's summary, then the chosen candidate's predictions and factor terms.
 */
export interface BrokeRouteMetadata extends BrokeRouteSummary {
  routeId: string;
  nodeId: string | undefined;
  modelId: string | undefined;
  mode: 'in-process' | 'remote';
  reasons: string[];
  /** The full explanation, when the router still had it. */
  explanation?: RouteExplanation;
}

/** `response_metadata` of a message BrokeChatModel produced. */
export interface BrokeResponseMetadata {
  /** The route id (also the message id). */
  id: string;
  model_provider: 'broke';
  /** The model that served the call. */
  model: string;
  /** Same as `model` (LangChain's usual key). */
  model_name: string;
  finish_reason?: string | null;
  broke: BrokeRouteMetadata;
}

/** The candidate the router chose, as it ranked it (predictions and factor terms). */
export function chosenCandidate(explanation: RouteExplanation | undefined): ScoredCandidate | undefined {
  if (!explanation) return undefined;
  return explanation.ranked?.find(
    (c) => c.nodeId === explanation.chosen?.nodeId && c.modelId === explanation.chosen?.modelId,
  );
}

export function reasonsOf(explanation: RouteExplanation | undefined): string[] {
  if (!explanation) return [];
  const out: string[] = [];
  if (explanation.summary) out.push(explanation.summary);
  const chosen = chosenCandidate(explanation);
  if (chosen) {
    out.push(`predicted quality ${chosen.quality.toFixed(2)}, ~${Math.round(chosen.timeMs)} ms`);
    for (const [factor, term] of Object.entries(chosen.terms ?? {})) {
      const value = term.adds === 'quality' ? term.value.toFixed(2) : `${Math.round(term.value)} ms`;
      out.push(`${factor}: ${value}${term.note ? ` (${term.note})` : ''}`);
    }
  }
  if (explanation.explored) out.push('explored: its quality was uncertain enough to be worth a try');
  for (const attempt of explanation.attempts ?? []) {
    if (!attempt.ok)
      out.push(`failover: ${attempt.nodeId}/${attempt.modelId} failed (${attempt.error ?? 'error'})`);
  }
  return out;
}

/**
 * The route metadata of one call. The explanation, when there is one, is the router's own record
 * (its context and inferred task type); otherwise the context this model sent stands in.
 */
export function buildRouteMetadata(
  route: RouteRef,
  mode: 'in-process' | 'remote',
  sent: AgentContext,
  explanation?: RouteExplanation,
): BrokeRouteMetadata {
  const ctx = explanation?.context ?? sent;
  const chosen = chosenCandidate(explanation);
  return {
    route_id: route.routeId,
    node: route.nodeId ?? null,
    model: route.modelId ?? null,
    role: ctx.role ?? null,
    team: ctx.team ?? null,
    session: ctx.sessionId ?? null,
    task_type: explanation?.analysis?.taskType ?? ctx.taskType ?? null,
    depth: ctx.conversationDepth ?? null,
    predicted_quality: chosen ? chosen.quality : null,
    predicted_ms: chosen ? Math.round(chosen.timeMs) : null,
    explored: explanation ? Boolean(explanation.explored) : null,
    temperature: explanation?.temperature ?? null,
    routeId: route.routeId,
    nodeId: route.nodeId,
    modelId: route.modelId,
    mode,
    reasons: reasonsOf(explanation),
    ...(explanation ? { explanation } : {}),
  };
}

/** The route of a message BrokeChatModel produced (undefined for any other message). */
export function routeOf(message: { response_metadata?: unknown }): BrokeRouteMetadata | undefined {
  const metadata = message.response_metadata as Record<string, unknown> | undefined;
  return metadata?.broke as BrokeRouteMetadata | undefined;
}
