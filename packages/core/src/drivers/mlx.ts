import type { CallOptions, NodeMetrics } from '../spec/index.js';
import { OpenAICompatibleDriver } from './openai-compatible.js';

/**
 * mlx_lm.server. Observes: health (/health), the served model (the absolute path it lists last in
 * /v1/models). Not observable: queue depth, memory. The request `model` must be `default_model` or
 * that path; any other name makes the server try to download from the Hugging Face hub.
 */
export class MlxDriver extends OpenAICompatibleDriver {
  override readonly kind: string = 'mlx';
  override readonly observes = { loadedModels: true, queueDepth: false, memory: false, metrics: false };
  protected override healthPath = '/health';

  override resolveModel(model: string): string {
    const entry = this.node.models?.find((m) => m.id === model || m.servedName === model || m.path === model);
    if (entry) return entry.servedName ?? entry.path ?? 'default_model';
    // Names the server knows itself; anything else would trigger a hub download, so use its model.
    if (model === 'default_model' || model.startsWith('/')) return model;
    return 'default_model';
  }

  /** The model passed with --model is the absolute path it lists; HF cache entries are only on disk. */
  override async metrics(options: CallOptions = {}): Promise<NodeMetrics> {
    const models = await this.listModels(options);
    return { loadedModels: models.filter((m) => m.startsWith('/')) };
  }
}
