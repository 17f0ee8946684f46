import type { CallOptions, NodeMetrics } from '../spec/index.js';
import { httpGetJson } from './http.js';
import { OpenAICompatibleDriver } from './openai-compatible.js';

/** One /v1/models entry of `transformers serve`; `status` is its own field, not OpenAI's. */
interface TransformersModel {
  id: string;
  status?: { value?: string };
}

/**
 * Hugging Face `transformers serve` (transformers ≥ 5). Observes: health (/health, 503 when its
 * continuous-batching worker died), the models it can serve (/v1/models: the generative models of
 * its Hugging Face cache plus any it loaded from a path; only the pinned one when started with a
 * model) and which of them are in memory (their `status.value: "loaded"`). No queue depth, no
 * Prometheus /metrics. A pinned server answers 400 to any other `model`, so `servedName` must be the
 * name it was started with (a local path stays a path). Streams end without `[DONE]`.
 */
export class TransformersDriver extends OpenAICompatibleDriver {
  override readonly kind: string = 'transformers';
  override readonly observes = { loadedModels: true, queueDepth: false, memory: false, metrics: true };
  protected override healthPath = '/health';

  override async metrics(options: CallOptions = {}): Promise<NodeMetrics> {
    const list = await httpGetJson<{ data?: TransformersModel[] }>(`${this.baseUrl}/v1/models`, {
      ...options,
      headers: this.headers(),
    });
    const models = Array.isArray(list.data) ? list.data : [];
    return { loadedModels: models.filter((m) => m.status?.value === 'loaded').map((m) => m.id) };
  }
}
