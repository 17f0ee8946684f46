import type { RouteExplanation } from '@broke/core';

/**
 * Where a call went and why, as it appears in `response_metadata.broke` (and `llmOutput.broke`).
 * `reasons` are readable lines: the router's summary, then the chosen candidate's predictions and factor terms.
 */
export interface BrokeRouteMetadata {
  routeId: string;
  nodeId: string | undefined;
  modelId: string | undefined;
  mode: 'in-process' | 'remote';
  reasons: string[];
  /** The full explanation, when the router still had it. */
  explanation?: RouteExplanation;
}

export function reasonsOf(explanation: RouteExplanation | undefined): string[] {
  if (!explanation) return [];
  const out: string[] = [];
  if (explanation.summary) out.push(explanation.summary);
  const chosen = explanation.ranked?.find(
    (c) => c.nodeId === explanation.chosen?.nodeId && c.modelId === explanation.chosen?.modelId,
  );
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

/** The route of a message BrokeChatModel produced (undefined for any other message). */
export function routeOf(message: { response_metadata?: unknown }): BrokeRouteMetadata | undefined {
  const metadata = message.response_metadata as Record<string, unknown> | undefined;
  return metadata?.broke as BrokeRouteMetadata | undefined;
}
