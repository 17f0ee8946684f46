import type { BrokeConfig, ModelConfig, NodeConfig } from '../config/schema.js';
import { ModelSchema } from '../config/schema.js';
import { TIER_RANK } from '../learning/cold-start.js';
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
  private readonly modelIndex = new Map<string, number>();
  private readonly byPair = new Map<string, number>();

  constructor(config: BrokeConfig) {
    this.nodes = config.nodes;
    for (const model of config.models) this.addModel(model);
    config.nodes.forEach((node, nodeIndex) => {
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
        this.byPair.set(pairKey(node.id, model.id), index);
      }
    });
  }

  /** Model ids at least one node serves. */
  servedModels(): ModelConfig[] {
    const served = new Set(this.candidates.map((candidate) => candidate.modelIndex));
    return this.models.filter((_, index) => served.has(index));
  }

  indexOf(nodeId: string, modelId: string): number | undefined {
    return this.byPair.get(pairKey(nodeId, modelId));
  }

  private addModel(model: ModelConfig): number {
    const existing = this.modelIndex.get(model.id);
    if (existing !== undefined) return existing;
    this.models.push(model);
    this.modelIndex.set(model.id, this.models.length - 1);
    return this.models.length - 1;
  }
}

function pairKey(nodeId: string, modelId: string): string {
  return `${nodeId}\u0000${modelId}`;
}
