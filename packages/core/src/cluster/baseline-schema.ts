import { z } from 'zod';
import { DriverKindSchema } from '../config/schema.js';

/** The benchmark prompt kinds of the standard suite. */
export const BenchPromptSchema = z.enum(['short', 'long', 'code', 'chat']);
export type BenchPrompt = z.infer<typeof BenchPromptSchema>;

export const HardwareSummarySchema = z.object({
  os: z.enum(['darwin', 'linux', 'unknown']),
  arch: z.string().optional(),
  cpu: z.string().optional(),
  cores: z.number().int().positive().optional(),
  memoryGb: z.number().positive().optional(),
});

const Figures = {
  ttftMs: z.number().nonnegative().optional(),
  prefillTokensPerSec: z.number().nonnegative().optional(),
  decodeTokensPerSec: z.number().nonnegative().optional(),
};

/** One measured prompt on one node × model (local `benchmark-sequential` output). */
export const BaselineResultSchema = z.object({
  nodeId: z.string().min(1),
  modelId: z.string().min(1),
  prompt: BenchPromptSchema,
  success: z.boolean(),
  ...Figures,
  totalMs: z.number().nonnegative().optional(),
  promptTokens: z.number().int().nonnegative().optional(),
  completionTokens: z.number().int().nonnegative().optional(),
  /** Free memory on the node after the run, in GiB, when observable. */
  freeMemoryGb: z.number().nonnegative().optional(),
  error: z.string().optional(),
});
export type BaselineResult = z.infer<typeof BaselineResultSchema>;

/** A local baselines file: exact node ids, used to seed ClusterState.perf at startup. */
export const BaselineFileSchema = z.object({
  kind: z.literal('broke-baseline'),
  schemaVersion: z.literal(1),
  createdAt: z.string(),
  suite: z.string(),
  nodes: z
    .array(
      z.object({
        id: z.string(),
        kind: DriverKindSchema,
        hardware: HardwareSummarySchema.optional(),
      }),
    )
    .default([]),
  models: z
    .array(
      z.object({ id: z.string(), quantization: z.string().optional(), parameters: z.number().optional() }),
    )
    .default([]),
  results: z.array(BaselineResultSchema),
});
export type BaselineFile = z.infer<typeof BaselineFileSchema>;

/**
 * A shareable community baseline (`export-config`): hardware, backend, model, quantisation and
 * figures, with no host names, addresses, users, keys or paths. Machines are `machine-1`, ...
 */
export const CommunityBaselineSchema = z
  .object({
    $schema: z.string().optional(),
    kind: z.literal('broke-community-baseline'),
    schemaVersion: z.literal(1),
    createdAt: z.string(),
    suite: z.string(),
    versions: z.object({
      broke: z.string(),
      node: z.string(),
      backends: z.record(z.string(), z.string()).optional(),
    }),
    entries: z.array(
      z.object({
        machine: z.string().regex(/^machine-\d+$/),
        hardware: HardwareSummarySchema.optional(),
        backend: DriverKindSchema,
        model: z.object({
          /** Public model name (e.g. `mlx-community/Qwen2.5-7B-Instruct-4bit`), never a path. */
          id: z
            .string()
            .min(1)
            .regex(/^[^/~\\][^\\]*$/, 'a model name, not a path'),
          family: z.string().optional(),
          parameters: z.number().positive().optional(),
          quantization: z.string().optional(),
          contextLength: z.number().int().positive().optional(),
        }),
        prompt: BenchPromptSchema,
        samples: z.number().int().nonnegative(),
        successRate: z.number().min(0).max(1),
        ...Figures,
      }),
    ),
  })
  .meta({
    title: 'BROKE community baseline',
    description: 'Anonymised model-server benchmark figures shared between BROKE users.',
  });
export type CommunityBaseline = z.infer<typeof CommunityBaselineSchema>;

/** JSON Schema published as packages/core/schema/baseline.schema.json. */
export function communityBaselineJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://broke.dev/schema/baseline.schema.json',
    ...z.toJSONSchema(CommunityBaselineSchema, { target: 'draft-2020-12' }),
  };
}
