import { Rng } from '../simulation/random.js';
import type { LabelledTrace } from './trace.js';

/**
 * The routings a learned router has to beat, as choices per trace item: one model for everything
 * (each model is one operating point; the best single model at a budget is the best of those
 * within it), and RouteLLM's random router (the strongest model with probability p, else the
 * weakest), whose quality at cost is the straight line PGR = cost in expectation.
 */

export function singleModelChoices(trace: LabelledTrace, modelId: string): string[] {
  return trace.items.map(() => modelId);
}

export function randomChoices(
  trace: LabelledTrace,
  options: { strongShare: number; seed: number; weakest: string; strongest: string },
): string[] {
  if (!(options.strongShare >= 0 && options.strongShare <= 1))
    throw new Error(`strongShare must be within 0..1, got ${options.strongShare}`);
  const rng = Rng.derive(options.seed, 'random-router', options.strongShare);
  return trace.items.map(() => (rng.next() < options.strongShare ? options.strongest : options.weakest));
}
