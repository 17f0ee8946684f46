import type { NodeInference } from '../spec/index.js';
import { type GenerationMeasure, measureGeneration } from './measure.js';

/** The probe every model must pass before it takes traffic. Small, so it is cheap on any node. */
export const PROBE_MESSAGES = [{ role: 'user' as const, content: 'Reply with the single word OK.' }];

export interface ProbeResult extends GenerationMeasure {
  modelId: string;
}

/** A model is valid when a short generation completes without error (any text counts). */
export async function probeModel(
  driver: Pick<NodeInference, 'chatStream'>,
  modelId: string,
  options: { timeoutMs?: number; maxTokens?: number } = {},
): Promise<ProbeResult> {
  const m = await measureGeneration(driver, modelId, PROBE_MESSAGES, {
    maxTokens: options.maxTokens ?? 8,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  return { ...m, modelId };
}
