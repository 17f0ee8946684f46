import { type BrokeConfig, BrokeConfigSchema, type Objective } from '../config/schema.js';
import type { HardwareProfile } from './hardware.js';

/**
 * The broke.yaml a user would commission for these machines: one node per profile serving its
 * model, maxConcurrency = the machine's slots, the model's size and tier from the profile. Speeds
 * are not given: BROKE measures them from traffic (or `benchmark-sequential`). `urls` maps node
 * ids to base URLs (the emulation's loopback servers); the simulator needs none.
 */
export function clusterConfig(
  profiles: readonly HardwareProfile[],
  options: {
    urls?: Readonly<Record<string, string>>;
    seed?: number;
    explorationRate?: number;
    /** Objective overrides per profile name (routing.profiles). */
    profiles?: Readonly<Record<string, Partial<Objective>>>;
    /** Leave model sizes out (every model tier `medium`, no parameters): quality must be learned. */
    untagged?: boolean;
    /** routing.disabled: filters and factors turned off. */
    disabled?: readonly string[];
    /** routing.teamSlack: route parallel agents of one run for the run's finish. */
    teamSlack?: boolean;
  } = {},
): BrokeConfig {
  const models = new Map<string, HardwareProfile['model']>();
  for (const p of profiles) models.set(p.model.id, p.model);
  return BrokeConfigSchema.parse({
    cluster: { name: 'simulated' },
    nodes: profiles.map((p) => ({
      id: p.id,
      url: options.urls?.[p.id] ?? 'http://127.0.0.1:9',
      kind: 'openai',
      models: [{ id: p.model.id }],
      maxConcurrency: p.slots,
      memoryGb: p.memoryGb,
      requestTimeoutMs: 600_000,
    })),
    models: [...models.values()].map((m) =>
      options.untagged
        ? { id: m.id, contextLength: m.contextLength }
        : { id: m.id, parameters: m.parameters, tier: m.tier, contextLength: m.contextLength },
    ),
    routing: {
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.explorationRate !== undefined ? { explorationRate: options.explorationRate } : {}),
      ...(options.profiles ? { profiles: options.profiles } : {}),
      ...(options.disabled ? { disabled: [...options.disabled] } : {}),
      ...(options.teamSlack !== undefined ? { teamSlack: options.teamSlack } : {}),
    },
    store: { kind: 'memory' },
  });
}
