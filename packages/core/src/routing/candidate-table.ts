import type { BrokeConfig, ModelConfig, NodeConfig } from '../config/schema.js';
import { ModelSchema } from '../config/schema.js';
import { TIER_RANK } from '../config/tiers.js';
import { capabilityOf } from '../learning/cold-start.js';
import type { RouteCandidate } from './plugin.js';
import type { Candidate } from './types.js';

/**
 * Every node × model pair from the config, with static data precomputed once so the hot path
 * only reads fields. Models a node serves but `models:` does not describe get schema defaults.
 */
export class CandidateTable {
  readonly candidates: RouteCandidate[] = [];
  /** Plain {nodeId, modelId, servedName} per candidate, shared by decisions (no config leaks). */
  readonly plain: Candidate[] = [];
  readonly nodes: NodeConfig[];
  readonly models: ModelConfig[] = [];
  // Static per-candidate data in typed arrays (filled once), so loops over thousands of
  // candidates read numbers instead of chasing config objects.
  nodeOf = new Int32Array(0);
  modelOf = new Int32Array(0);
  tierOf = new Uint8Array(0);
  contextOf = new Float64Array(0);
  /** Model memory in GiB; NaN when the config does not say. */
  memoryOf = new Float64Array(0);
  /** Capability bits (CAPABILITY_BITS) of the candidate's model. */
  capsOf = new Uint32Array(0);
  /** Node memory from config in GiB, by node index; NaN when unknown. */
  nodeMemory = new Float64Array(0);
  /** Model capability 0..1 from its size (learning/cold-start.ts), by model index. */
  capability = new Float64Array(0);
  /** Decode slow-down per extra concurrent request, by node index (config batchSlowdown). */
  batchSlowdown = new Float64Array(0);
  private readonly modelIndex = new Map<string, number>();
  /** Candidate index by node id, then model id: two lookups of strings whose hashes are cached, no key built per call. */
  private readonly byPair = new Map<string, Map<string, number>>();
  private readonly nodeIndex = new Map<string, number>();

  constructor(config: BrokeConfig) {
    this.nodes = config.nodes;
    for (const model of config.models) this.addModel(model);
    config.nodes.forEach((node, nodeIndex) => {
      if (!this.nodeIndex.has(node.id)) this.nodeIndex.set(node.id, nodeIndex);
      for (const served of node.models) {
        const modelIndex =
          this.modelIndex.get(served.id) ?? this.addModel(ModelSchema.parse({ id: served.id }));
        const model = this.models[modelIndex] as ModelConfig;
        const index = this.candidates.length;
        const servedName = served.servedName ?? served.id;
        this.candidates.push({
          index,
          nodeIndex,
          modelIndex,
          node,
          model,
          nodeId: node.id,
          modelId: model.id,
          servedName,
          tierRank: TIER_RANK[model.tier],
        });
        this.plain.push(Object.freeze({ nodeId: node.id, modelId: model.id, servedName }));
        let byModel = this.byPair.get(node.id);
        if (!byModel) {
          byModel = new Map();
          this.byPair.set(node.id, byModel);
        }
        byModel.set(model.id, index);
      }
    });
    const size = this.candidates.length;
    this.nodeOf = new Int32Array(size);
    this.modelOf = new Int32Array(size);
    this.tierOf = new Uint8Array(size);
    this.contextOf = new Float64Array(size);
    this.memoryOf = new Float64Array(size);
    this.capsOf = new Uint32Array(size);
    for (const c of this.candidates) {
      this.nodeOf[c.index] = c.nodeIndex;
      this.modelOf[c.index] = c.modelIndex;
      this.tierOf[c.index] = c.tierRank;
      this.contextOf[c.index] = c.model.contextLength;
      this.memoryOf[c.index] = c.model.memoryGb ?? Number.NaN;
      this.capsOf[c.index] = capabilityBits(c.model.capabilities);
    }
    this.nodeMemory = Float64Array.from(this.nodes, (node) => node.memoryGb ?? Number.NaN);
    this.batchSlowdown = Float64Array.from(this.nodes, (node) => node.batchSlowdown ?? 0.1);
    this.capability = Float64Array.from(this.models, (model) =>
      capabilityOf(model.parameters, TIER_RANK[model.tier]),
    );
  }

  /** Model ids at least one node serves. */
  servedModels(): ModelConfig[] {
    const served = new Set(this.candidates.map((candidate) => candidate.modelIndex));
    return this.models.filter((_, index) => served.has(index));
  }

  nodeIndexOf(nodeId: string): number | undefined {
    return this.nodeIndex.get(nodeId);
  }

  modelIndexOf(modelId: string): number | undefined {
    return this.modelIndex.get(modelId);
  }

  indexOf(nodeId: string, modelId: string): number | undefined {
    return this.byPair.get(nodeId)?.get(modelId);
  }

  private addModel(model: ModelConfig): number {
    const existing = this.modelIndex.get(model.id);
    if (existing !== undefined) return existing;
    this.models.push(model);
    this.modelIndex.set(model.id, this.models.length - 1);
    return this.models.length - 1;
  }
}

/** Bit per capability, for one-AND capability checks. */
export const CAPABILITY_BITS: Readonly<Record<string, number>> = {
  tools: 1,
  json: 2,
  vision: 4,
  streaming: 8,
};

export function capabilityBits(capabilities: readonly string[] | undefined): number {
  let bits = 0;
  if (capabilities) for (const capability of capabilities) bits |= CAPABILITY_BITS[capability] ?? 1 << 30;
  return bits;
}
