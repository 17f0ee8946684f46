import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { AgentContextSchema, TaskTypeSchema } from '../context/agent-context.js';
import { BUILT_IN_PROFILES } from './built-in-profiles.js';
import { CaptureSchema } from './capture-schema.js';
import { EscalationSchema, NodeEscalationSchema } from './escalation-schema.js';
import { ObservabilitySchema } from './observability-schema.js';
import { RayServeSchema } from './rayserve-schema.js';
import { TIERS, tierForParameters } from './tiers.js';
import { closestKey, strictObject } from './unknown-keys.js';
import { WarmupSchema } from './warmup-schema.js';

/**
 * The one source of truth for `broke.yaml`. Types, validation and the JSON Schema all come from
 * here; `validate`, `serve`, the bridges and the libraries all parse with BrokeConfigSchema.
 * Every object is strict: an unknown key (a typo such as `apikeys`) is an error naming the key
 * meant, never silently dropped. Open by design: the names in `routing.profiles` and
 * `routing.objectiveFor` (their values are strict) and `defaultContext.priorScores` (model ids).
 */

export const DriverKindSchema = z.enum([
  'mlx',
  'mlx-knife',
  'ollama',
  'llamacpp',
  'vllm',
  'openai',
  'rayserve',
  'transformers',
]);
export type DriverKind = z.infer<typeof DriverKindSchema>;

export const CapabilitySchema = z.enum(['tools', 'json', 'vision', 'streaming']);
export type Capability = z.infer<typeof CapabilitySchema>;

/** Model size class, used for cold-start routing by complexity before any outcome is known. */
export const TierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof TierSchema>;

export const ModelSchema = strictObject({
  /** The id clients and the router use; what the node is asked for unless `servedName` says otherwise. */
  id: z.string().min(1),
  family: z.string().optional(),
  /** Parameters in billions (`scan-models` reads them from the model's files). */
  parameters: z.number().positive().optional(),
  quantization: z.string().optional(),
  contextLength: z.number().int().positive().default(4096),
  capabilities: z.array(CapabilitySchema).default(['streaming']),
  /**
   * Size class for routing by complexity. Default: from `parameters` (small < 10B ≤ medium < 30B ≤
   * large, learning/cold-start.ts), else medium. A tier set here wins over `parameters`.
   */
  tier: TierSchema.optional(),
  /** Approximate resident memory when loaded, in GiB (for memory-headroom filtering). */
  memoryGb: z.number().nonnegative().optional(),
  /** Size of the model's files on disk in GiB (`scan-models`; informational). */
  diskGb: z.number().nonnegative().optional(),
  /**
   * Template/stop strings this model may leak into its text, cut by the drivers on top of the
   * built-in ones (`<|im_end|>`, `</s>`, `<|eot_id|>`, `<|end|>`, `<|endoftext|>`).
   * `scan-models` fills it from the model's tokenizer_config.json.
   */
  stopTokens: z.array(z.string().min(1)).optional(),
}).transform((model) => ({
  ...model,
  tier: model.tier ?? (model.parameters === undefined ? 'medium' : tierForParameters(model.parameters)),
}));
export type ModelConfig = z.infer<typeof ModelSchema>;

export const SshSchema = strictObject({
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

export const NodeModelSchema = strictObject({
  /** Model id from `models`. */
  id: z.string().min(1),
  /** Name the node's server expects in the request's `model` field (defaults to `id`). */
  servedName: z.string().optional(),
  /** Path on the node's disk, for starting a server over SSH. */
  path: z.string().optional(),
});
export type NodeModelConfig = z.infer<typeof NodeModelSchema>;

export const NodeSchema = strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
  /** Base URL of the node's OpenAI-compatible server, without `/v1`. */
  url: z.url(),
  kind: DriverKindSchema.default('mlx'),
  models: z.array(NodeModelSchema).default([]),
  /**
   * Requests the node serves at once; more wait in the gateway's queue for this node. A `rayserve`
   * node's capacity follows its replicas × `max_ongoing_requests` once the monitor has read them.
   */
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
  /** For `kind: rayserve`: where Ray's Serve REST API and metrics are (config/rayserve-schema.ts). */
  rayserve: RayServeSchema.optional(),
  /** A paid or remote endpoint, used only when local models are predicted red (config/escalation-schema.ts). */
  escalation: NodeEscalationSchema.optional(),
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
export const ObjectiveSchema = strictObject({
  latencyWeight: z.number().min(0).max(10),
  qualityTolerance: z.number().min(0).max(1).optional(),
});
export type Objective = z.infer<typeof ObjectiveSchema>;

export const RoleRuleSchema = strictObject({
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

export const TemperatureSchema = strictObject({
  /** Green when even the pessimistic end of the predicted quality's band reaches this. */
  good: z.number().min(0).max(1).default(0.6),
  /** Red when even the optimistic end of the band stays below this. */
  poor: z.number().min(0).max(1).default(0.4),
  /** Complexity (0..1) from which a small-tier model's answer is at least orange. */
  hardComplexity: z.number().min(0).max(1).default(0.65),
  /** Judged observations of this model in this context that lift that small-tier floor. */
  trustedEvidence: z.number().min(0).default(5),
});
export type TemperatureConfig = z.infer<typeof TemperatureSchema>;

export const RoutingSchema = strictObject({
  defaultProfile: ProfileNameSchema.default('balanced'),
  /**
   * Extra or overriding profiles: name → objective. Built-ins: quality, balanced, latency. Strict:
   * a profile written as scorer weights (before objectives) is an error, not silently ignored.
   */
  profiles: z.record(z.string(), ObjectiveSchema.partial()).default({}),
  /** Objective overrides per team or role, by `team` or `team/role` or `/role`. */
  objectiveFor: z.record(z.string(), ObjectiveSchema.partial()).default({}),
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
  /**
   * A session's next turn: `prefer` its previous node × model (a time bonus for the warm prompt
   * cache), or `pin` it there while it can serve (routing/filters/session-pin.ts).
   */
  sessions: z.enum(['prefer', 'pin']).default('prefer'),
  /**
   * Route parallel agents of one run for the run's finish (the team-slack factor): within the
   * run's wait the objective weighs quality only. On a real CrewAI crew its frontier of kickoff
   * time against quality is 1–28% faster at equal quality (bench/results/crew-parallel.md),
   * but at one profile it buys quality with the run's wait (longer kickoffs than without it), so
   * it is opt-in: a team turning it on may want a faster profile for the same kickoff time.
   */
  teamSlack: z.boolean().default(false),
  /** Thresholds of the quality temperature on every response (learning/quality-temperature.ts). */
  temperature: TemperatureSchema.default(TemperatureSchema.parse({})),
});
export type RoutingConfig = z.infer<typeof RoutingSchema>;

export const MonitorSchema = strictObject({
  intervalMs: z.number().int().min(100).default(2000),
  timeoutMs: z.number().int().min(50).default(1500),
  /** Consecutive failed polls before a node is marked down. */
  downAfter: z.number().int().min(1).default(2),
  /** Consecutive good polls before a down node is marked up again. */
  upAfter: z.number().int().min(1).default(1),
});
export type MonitorConfig = z.infer<typeof MonitorSchema>;

export const GatewaySchema = strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8787),
  /** Required (as `Authorization: Bearer`) when set; mandatory when host is not loopback. */
  apiKeys: z.array(z.string().min(8)).default([]),
  /** Keys that may read and rate every caller's routes (ordinary keys see their own). */
  adminKeys: z.array(z.string().min(8)).default([]),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /** Connection limits; each defaults to DEFAULT_LIMITS in http/server.ts. */
  limits: strictObject({
    maxConnections: z.number().int().min(1).optional(),
    headersTimeoutMs: z.number().int().min(100).optional(),
    requestTimeoutMs: z.number().int().min(100).optional(),
    keepAliveTimeoutMs: z.number().int().min(100).optional(),
    /** Requests one client (API key, else address) may have in progress at once (default 256). */
    maxRequestsPerClient: z.number().int().min(1).optional(),
  }).default({}),
});
export type GatewayConfig = z.infer<typeof GatewaySchema>;

export const StoreSchema = z.discriminatedUnion('kind', [
  strictObject({ kind: z.literal('sqlite'), path: z.string().default('.broke/stats.db') }),
  strictObject({ kind: z.literal('memory') }),
  strictObject({
    kind: z.literal('redis'),
    url: z.string().default('redis://127.0.0.1:6379'),
    prefix: z.string().default('broke:'),
    /** Gateway replicas sharing this Redis: node slots, cooldowns, sessions (docs/scaling.md). */
    replicas: strictObject({
      /** A dead gateway's node slots free after this long (running requests renew theirs). */
      leaseTtlMs: z.number().int().min(1000).default(15_000),
      /** Share of each node's maxConcurrency one replica uses alone while Redis is lost. */
      degradedShare: z.number().gt(0).max(1).default(1),
    }).optional(),
  }),
]);
export type StoreConfig = z.infer<typeof StoreSchema>;

export const BrokeConfigSchema = strictObject({
  cluster: strictObject({ name: z.string().min(1).default('broke') }).default({ name: 'broke' }),
  nodes: z.array(NodeSchema).min(1, 'a cluster needs at least one node'),
  models: z.array(ModelSchema).default([]),
  routing: RoutingSchema.default(RoutingSchema.parse({})),
  monitor: MonitorSchema.default(MonitorSchema.parse({})),
  gateway: GatewaySchema.default(GatewaySchema.parse({})),
  store: StoreSchema.default({ kind: 'sqlite', path: '.broke/stats.db' }),
  /** Metrics (`GET /metrics`) and structured logs. */
  observability: ObservabilitySchema.default(ObservabilitySchema.parse({})),
  /** Benchmark files (from `benchmark-sequential` or `import-baselines`) used as routing priors. */
  baselines: z.array(z.string()).default([]),
  /** Agent context applied when a request carries none (strict here; request metadata is not). */
  defaultContext: strictObject(AgentContextSchema.shape).optional(),
  /** Daily budgets per team for nodes marked `escalation` (config/escalation-schema.ts). */
  escalation: EscalationSchema.optional(),
  /** Predictive warm-up of the next turn's model (config/warmup-schema.ts); off unless set. */
  warmup: WarmupSchema.optional(),
  /** Prompt and answer capture for `export-data`, per team (config/capture-schema.ts); off unless set. */
  capture: CaptureSchema.optional(),
}).superRefine((config, ctx) => {
  for (const problem of crossCheck(config)) ctx.addIssue({ code: 'custom', ...problem });
  // A paid endpoint without a budget would never be used: say so rather than silently ignore it.
  const paid = config.nodes.findIndex((node) => node.escalation !== undefined);
  if (paid >= 0 && config.escalation === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['escalation'],
      message: `nodes[${paid}] (${config.nodes[paid]?.id}) is an escalation node: set escalation.budgetPerDay (default and/or teams)`,
    });
});
export type BrokeConfig = z.infer<typeof BrokeConfigSchema>;
export type BrokeConfigInput = z.input<typeof BrokeConfigSchema>;

/**
 * Rules one field cannot express: profile names that exist, unique ids, keys on an exposed
 * gateway. Checked here, in the schema, so every command and library that parses a config
 * rejects the same configs with the same message (`serve` used to fail later, in the Router).
 */
function crossCheck(config: {
  nodes: readonly { id: string; models: readonly { id: string }[] }[];
  models: readonly { id: string }[];
  routing: {
    defaultProfile: string;
    profiles: Record<string, unknown>;
    roleRules: readonly { profile?: string | undefined }[];
  };
  gateway: { host: string; apiKeys: readonly string[] };
}): { path: PropertyKey[]; message: string }[] {
  const problems: { path: PropertyKey[]; message: string }[] = [];
  const profiles = [...new Set([...Object.keys(BUILT_IN_PROFILES), ...Object.keys(config.routing.profiles)])];
  const checkProfile = (profile: string | undefined, path: PropertyKey[]) => {
    if (profile === undefined || profiles.includes(profile)) return;
    const meant = closestKey(profile, profiles);
    problems.push({
      path,
      message: `unknown profile "${profile}"${meant === undefined ? '' : ` (did you mean "${meant}"?)`}; use one of ${profiles.join(', ')} or define it under routing.profiles`,
    });
  };
  checkProfile(config.routing.defaultProfile, ['routing', 'defaultProfile']);
  config.routing.roleRules.forEach((rule, index) => {
    checkProfile(rule.profile, ['routing', 'roleRules', index, 'profile']);
  });
  const nodeIds = new Map<string, number>();
  config.nodes.forEach((node, index) => {
    const first = nodeIds.get(node.id);
    if (first !== undefined)
      problems.push({
        path: ['nodes', index, 'id'],
        message: `duplicate node id "${node.id}" (also nodes[${first}])`,
      });
    else nodeIds.set(node.id, index);
    const served = new Set<string>();
    node.models.forEach((model, modelIndex) => {
      if (served.has(model.id))
        problems.push({
          path: ['nodes', index, 'models', modelIndex, 'id'],
          message: `model "${model.id}" listed twice`,
        });
      served.add(model.id);
    });
  });
  const modelIds = new Set<string>();
  config.models.forEach((model, index) => {
    if (modelIds.has(model.id))
      problems.push({ path: ['models', index, 'id'], message: `duplicate model id "${model.id}"` });
    modelIds.add(model.id);
  });
  if (!isLoopback(config.gateway.host) && config.gateway.apiKeys.length === 0)
    problems.push({
      path: ['gateway', 'apiKeys'],
      message: `required when gateway.host (${config.gateway.host}) is not loopback`,
    });
  return problems;
}

/** As the gateway's bind check (http/auth.ts isLoopbackHost): an address only this machine reaches. */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIPv4(v4) && v4.startsWith('127.');
}
