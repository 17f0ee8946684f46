import type { CallOptions, NodeMetrics } from '../spec/index.js';
import { httpGet, httpGetJson } from './http.js';
import { OpenAICompatibleDriver } from './openai-compatible.js';
import { parsePrometheus, sumMetric } from './prometheus.js';

interface Slot {
  id: number;
  /** Newer servers. */
  is_processing?: boolean;
  /** Older servers: 0 idle, 1 processing. */
  state?: number;
}

/**
 * llama.cpp `llama-server`. Observes: health (/health, 503 while loading), the one loaded model
 * (/v1/models), busy slots (/slots, when not disabled) and deferred requests (/metrics, with --metrics).
 */
export class LlamaCppDriver extends OpenAICompatibleDriver {
  override readonly kind: string = 'llamacpp';
  override readonly observes = { loadedModels: true, queueDepth: true, memory: false, metrics: true };
  protected override healthPath = '/health';

  override async metrics(options: CallOptions = {}): Promise<NodeMetrics> {
    const [models, slots, prom] = await Promise.all([
      this.listModels(options).catch(() => undefined),
      httpGetJson<Slot[]>(`${this.baseUrl}/slots`, options).catch(() => undefined),
      httpGet(`${this.baseUrl}/metrics`, options).catch(() => undefined),
    ]);
    const out: NodeMetrics = {};
    if (models) out.loadedModels = models;
    if (Array.isArray(slots)) out.running = slots.filter((s) => s.is_processing ?? s.state === 1).length;
    if (prom && prom.status === 200) {
      const samples = parsePrometheus(prom.text);
      const deferred = sumMetric(samples, 'llamacpp:requests_deferred');
      if (deferred !== undefined) out.queued = deferred;
      out.running ??= sumMetric(samples, 'llamacpp:requests_processing');
    }
    return out;
  }
}
