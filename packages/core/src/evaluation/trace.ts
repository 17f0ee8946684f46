import { z } from 'zod';
import { type HardwareProfile, macCluster } from '../simulation/hardware.js';
import { judge as makeJudge } from '../simulation/oracle.js';
import { generateWorkload } from '../simulation/workload.js';

/**
 * A labelled routing trace: prompts with their agent context and, per model, how good that
 * model's answer is (the simulation's hidden oracle plus judge noise) and whether it counts as a
 * success. Generated from a seed (workload + oracle), never downloaded, so every run and every
 * machine evaluates routing on the same set.
 */

/** A judged score at or above this counts as a successful answer. */
export const SUCCESS_THRESHOLD = 0.7;

export const TraceLabelSchema = z.object({
  /** Judged quality 0..1 of this model's answer. */
  quality: z.number().min(0).max(1),
  success: z.boolean(),
});

export const TraceItemSchema = z.object({
  id: z.string().min(1),
  messages: z.array(z.object({ role: z.enum(['system', 'user']), content: z.string() })).min(1),
  context: z.object({ team: z.string(), role: z.string(), session: z.string() }),
  taskType: z.string(),
  /** Hidden: the routers under test never see these two. */
  difficultyClass: z.enum(['easy', 'medium', 'hard']),
  difficulty: z.number().min(0).max(1),
  promptTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Model id → label. */
  labels: z.record(z.string(), TraceLabelSchema),
});
export type TraceItem = z.infer<typeof TraceItemSchema>;

export const TraceModelSchema = z.object({
  id: z.string().min(1),
  parameters: z.number().positive(),
  /** Relative price per token (the largest model = 1): compute grows with size. */
  costPerToken: z.number().positive(),
});
export type TraceModel = z.infer<typeof TraceModelSchema>;

export const LabelledTraceSchema = z.object({
  seed: z.number().int(),
  models: z.array(TraceModelSchema).min(2),
  items: z.array(TraceItemSchema),
});
export type LabelledTrace = z.infer<typeof LabelledTraceSchema>;

export interface TraceOptions {
  seed: number;
  requests?: number;
  teams?: number;
  agentsPerTeam?: number;
  /** The machines whose models are labelled (default: the four Mac presets). */
  profiles?: readonly HardwareProfile[];
}

/** The labelled trace for `seed`: same seed, same trace, byte for byte. */
export function generateTrace(options: TraceOptions): LabelledTrace {
  const profiles = options.profiles ?? macCluster();
  const models = new Map<string, HardwareProfile['model']>();
  for (const p of profiles) models.set(p.model.id, p.model);
  if (models.size < 2) throw new Error('a routing trace needs at least two distinct models');
  const largest = Math.max(...[...models.values()].map((m) => m.parameters));
  const workload = generateWorkload({
    seed: options.seed,
    requests: options.requests ?? 1000,
    teams: options.teams ?? 4,
    agentsPerTeam: options.agentsPerTeam ?? 5,
    idPrefix: 'e',
  });
  const judge = makeJudge(options.seed);
  return {
    seed: options.seed,
    models: [...models.values()]
      .sort((a, b) => a.parameters - b.parameters)
      .map((m) => ({ id: m.id, parameters: m.parameters, costPerToken: m.parameters / largest })),
    items: workload.requests.map((r) => ({
      id: r.id,
      messages: r.messages.map((m) => ({ role: m.role, content: m.content })),
      context: { team: r.team, role: r.role, session: r.session },
      taskType: r.taskType,
      difficultyClass: r.difficultyClass,
      difficulty: r.difficulty,
      promptTokens: r.promptTokens,
      outputTokens: r.outputTokens,
      labels: Object.fromEntries(
        [...models.values()].map((m) => {
          const quality = judge({ requestId: r.id, difficulty: r.difficulty, model: m });
          return [m.id, { quality, success: quality >= SUCCESS_THRESHOLD }];
        }),
      ),
    })),
  };
}

/** Quality label of `modelId` on `item` (a model the trace does not label is an error). */
export function labelOf(item: TraceItem, modelId: string): z.infer<typeof TraceLabelSchema> {
  const label = item.labels[modelId];
  if (!label) throw new Error(`trace item ${item.id} has no label for model "${modelId}"`);
  return label;
}
