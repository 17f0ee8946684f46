import type { CallOptions, NodeMetrics } from '../spec/index.js';
import { httpGetJson } from './http.js';
import { OpenAICompatibleDriver } from './openai-compatible.js';

interface OllamaModel {
  name: string;
  model?: string;
  size?: number;
  size_vram?: number;
}

/**
 * Ollama. Observes: health (/api/version), models on disk (/api/tags), models loaded in memory and
 * their resident size (/api/ps). Inference through its OpenAI-compatible /v1. No queue depth.
 */
export class OllamaDriver extends OpenAICompatibleDriver {
  override readonly kind: string = 'ollama';
  override readonly observes = { loadedModels: true, queueDepth: false, memory: true, metrics: true };
  protected override healthPath = '/api/version';

  override async listModels(options: CallOptions = {}): Promise<string[]> {
    try {
      const tags = await httpGetJson<{ models?: OllamaModel[] }>(`${this.baseUrl}/api/tags`, options);
      return (tags.models ?? []).map((m) => m.name);
    } catch (err) {
      throw this.wrap(err, 'listing models');
    }
  }

  override async metrics(options: CallOptions = {}): Promise<NodeMetrics> {
    const ps = await httpGetJson<{ models?: OllamaModel[] }>(`${this.baseUrl}/api/ps`, options);
    const models = ps.models ?? [];
    const bytes = models.reduce((a, m) => a + (m.size_vram ?? m.size ?? 0), 0);
    return { loadedModels: models.map((m) => m.name), memory: { usedGb: bytes / 1024 ** 3 } };
  }
}
