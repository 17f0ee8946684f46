import { z } from 'zod';
import { AgentContextSchema, TaskTypeSchema } from '../context/agent-context.js';

/** The one source of truth for `broke.yaml`. Types, validation and the JSON Schema all come from here. */

export const DriverKindSchema = z.enum(['mlx', 'mlx-knife', 'ollama', 'llamacpp', 'vllm', 'openai']);
export type DriverKind = z.infer<typeof DriverKindSchema>;

export const CapabilitySchema = z.enum(['tools', 'json', 'vision', 'streaming']);
export type Capability = z.infer<typeof CapabilitySchema>;

/** Model size class, used for cold-start routing by complexity before any outcome is known. */
export const TierSchema = z.enum(['small', 'medium', 'large']);
export type Tier = z.infer<typeof TierSchema>;

export const ModelSchema = z.object({
  /** The id clients and the router use; what the node is asked for unless `servedName` says otherwise. */
  id: z.string().min(1),
  family: z.string().optional(),
  /** Parameters in billions. */
  parameters: z.number().positive().optional(),
  quantization: z.string().optional(),
  contextLength: z.number().int().positive().default(4096),
  capabilities: z.array(CapabilitySchema).default(['streaming']),
  tier: TierSchema.default('medium'),
  /** Approximate resident memory when loaded, in GiB (for memory-headroom filtering). */
  memoryGb: z.number().nonnegative().optional(),
  /**
   * Template/stop strings this model may leak into its text, cut by the drivers on top of the
   * built-in ones (`<|im_end|>`, `</s>`, `<|eot_id|>`, `<|end|>`, `<|endoftext|>`).
   * `scan-models` fills it from the model's tokenizer_config.json.
   */
  stopTokens: z.array(z.string().min(1)).optional(),
});
export type ModelConfig = z.infer<typeof ModelSchema>;

export const SshSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1),
  privateKeyPath: z.string().min(1).optional(),
  /** Pinned host key, `SHA256:...` as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: z.string().optional(),
  knownHostsPath: z.string().optional(),
  /** Accept and remember an unknown host key on first connect. Off unless the user opts in. */
  trustOnFirstUse: z.boolean().default(false),
  connectTimeoutMs: z.number().int().positive().default(10_000),
});
export type SshConfig = z.infer<typeof SshSchema>;

export const NodeModelSchema = z.object({
  /** Model id from `models`. */
  id: z.string().min(1),
  /** Name the node's server expects in the request's `model` field (defaults to `id`). */
  servedName: z.string().optional(),
  /** Path on the node's disk, for starting a server over SSH. */
  path: z.string().optional(),
});
export type NodeModelConfig = z.infer<typeof NodeModelSchema>;

export const NodeSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
  /** Base URL of the node's OpenAI-compatible server, without `/v1`. */
  url: z.url(),
  kind: DriverKindSchema.default('mlx'),
  models: z.array(NodeModelSchema).default([]),
  /** Requests the node serves at once; more wait in the gateway's queue for this node. */
  maxConcurrency: z.number().int().positive().default(4),
  /**
   * Requests that may wait in the gateway for a free slot on this node (default 4 × maxConcurrency).
   * The router counts the wait in its finish-time prediction, so a request waits for the right
   * node when that beats running now on a worse one; a full queue means 429 for this node.
   */
  queueLimit: z.number().int().min(0).optional(),
  /**
   * Decode slow-down per additional request served at once (0.1: each concurrent request makes
   * every stream 10% slower). Servers that batch (vLLM) slow down less than ones that interleave.
   */
  batchSlowdown: z.number().min(0).max(5).default(0.1),
  requestTimeoutMs: z.number().int().positive().default(120_000),
  /** Total memory of the machine in GiB, when known (probed over SSH by `init`). */
  memoryGb: z.number().positive().optional(),
  ssh: SshSchema.optional(),
  apiKey: z.string().optional(),
  /** Free-form labels usable in role rules (e.g. `m2-ultra`, `fast`). */
  labels: z.array(z.string()).default([]),
});
export type NodeConfig = z.infer<typeof NodeSchema>;

export const ProfileNameSchema = z.string().min(1);

/**
 * A profile's objective: the router predicts each candidate's quality (0..1) and time to finish,
 * then maximises  quality − latencyWeight × (time − fastest time) / typical request time,  i.e.
 * `latencyWeight` quality points are worth one typical request's duration of extra waiting. With
 * `qualityTolerance` only candidates predicted within that much of the best quality compete.
 */
export const ObjectiveSchema = z.object({
  latencyWeight: z.number().min(0).max(10),
  qualityTolerance: z.number().min(0).max(1).optional(),
});
export type Objective = z.infer<typeof ObjectiveSchema>;

export const RoleRuleSchema = z.object({
  /** Role name, matched case-insensitively; `*` matches any. */
  role: z.string().min(1),
  team: z.string().optional(),
  taskType: TaskTypeSchema.optional(),
  /** Models or tiers this role should prefer / avoid (quality points added or taken away, see routing/factors/role-rules.ts). */
  prefer: z.array(z.string()).default([]),
  avoid: z.array(z.string()).default([]),
  /** Hard pins: only these nodes / models are allowed (a filter). */
  pinNodes: z.array(z.string()).optional(),
  pinModels: z.array(z.string()).optional(),
  profile: ProfileNameSchema.optional(),
});
export type RoleRule = z.infer<typeof RoleRuleSchema>;

export const RoutingSchema = z.object({
  defaultProfile: ProfileNameSchema.default('balanced'),
  /**
   * Extra or overriding profiles: name → objective. Built-ins: quality, balanced, latency. Strict:
   * a profile written as scorer weights (before objectives) is an error, not silently ignored.
   */
  profiles: z.record(z.string(), ObjectiveSchema.partial().strict()).default({}),
  /** Objective overrides per team or role, by `team` or `team/role` or `/role`. */
  objectiveFor: z.record(z.string(), ObjectiveSchema.partial().strict()).default({}),
  roleRules: z.array(RoleRuleSchema).default([]),
  /**
   * Share of routes that may explore: they rank by a Thompson sample of each model's quality and
   * take it only where the uncertainty could really change the decision (see routing/objective.ts).
   */
  explorationRate: z.number().min(0).max(0.5).default(0.1),
  /** Names of filters and factors to turn off. */
  disabled: z.array(z.string()).default([]),
  seed: z.number().int().optional(),
  /** Failover attempts per request after the first candidate fails before its first token. */
  maxAttempts: z.number().int().min(1).max(10).default(3),
});
export type RoutingConfig = z.infer<typeof RoutingSchema>;

export const MonitorSchema = z.object({
  intervalMs: z.number().int().min(100).default(2000),
  timeoutMs: z.number().int().min(50).default(1500),
  /** Consecutive failed polls before a node is marked down. */
  downAfter: z.number().int().min(1).default(2),
  /** Consecutive good polls before a down node is marked up again. */
  upAfter: z.number().int().min(1).default(1),
});
export type MonitorConfig = z.infer<typeof MonitorSchema>;

export const GatewaySchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8787),
  /** Required (as `Authorization: Bearer`) when set; mandatory when host is not loopback. */
  apiKeys: z.array(z.string().min(8)).default([]),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
});
export type GatewayConfig = z.infer<typeof GatewaySchema>;

export const StoreSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sqlite'), path: z.string().default('.broke/stats.db') }),
  z.object({ kind: z.literal('memory') }),
  z.object({
    kind: z.literal('redis'),
    url: z.string().default('redis://127.0.0.1:6379'),
    prefix: z.string().default('broke:'),
  }),
]);
export type StoreConfig = z.infer<typeof StoreSchema>;

export const BrokeConfigSchema = z.object({
  cluster: z.object({ name: z.string().min(1).default('broke') }).default({ name: 'broke' }),
  nodes: z.array(NodeSchema).min(1, 'a cluster needs at least one node'),
  models: z.array(ModelSchema).default([]),
  routing: RoutingSchema.default(RoutingSchema.parse({})),
  monitor: MonitorSchema.default(MonitorSchema.parse({})),
  gateway: GatewaySchema.default(GatewaySchema.parse({})),
  store: StoreSchema.default({ kind: 'sqlite', path: '.broke/stats.db' }),
  /** Benchmark files (from `benchmark-sequential` or `import-baselines`) used as routing priors. */
  baselines: z.array(z.string()).default([]),
  /** Agent context applied when a request carries none. */
  defaultContext: AgentContextSchema.optional(),
});
export type BrokeConfig = z.infer<typeof BrokeConfigSchema>;
export type BrokeConfigInput = z.input<typeof BrokeConfigSchema>;
