import type { CallOptions, NodeMetrics } from '../spec/index.js';
import { httpGet } from './http.js';
import { OpenAICompatibleDriver } from './openai-compatible.js';
import { type PromSample, parsePrometheus, sumMetric } from './prometheus.js';

/**
 * vLLM's OpenAI server. Observes: health (/health, empty 200; 503 once its engine died), the served
 * (= loaded) models (/v1/models), running and waiting requests from Prometheus /metrics
 * (vllm:num_requests_running / vllm:num_requests_waiting, summed over engines and models) and the
 * KV-cache fill (vllm:kv_cache_usage_perc; vllm:gpu_cache_usage_perc before vLLM 0.10).
 */
export class VllmDriver extends OpenAICompatibleDriver {
  override readonly kind: string = 'vllm';
  override readonly observes = { loadedModels: true, queueDepth: true, memory: false, metrics: true };
  protected override healthPath = '/health';

  override async metrics(options: CallOptions = {}): Promise<NodeMetrics> {
    const [models, prom] = await Promise.all([
      this.listModels(options).catch(() => undefined),
      httpGet(`${this.baseUrl}/metrics`, { ...options, headers: this.headers() }).catch(() => undefined),
    ]);
    const out: NodeMetrics = {};
    if (models) out.loadedModels = models;
    if (prom && prom.status === 200) {
      const samples = parsePrometheus(prom.text);
      const waiting = sumMetric(samples, 'vllm:num_requests_waiting');
      const running = sumMetric(samples, 'vllm:num_requests_running');
      if (waiting !== undefined) out.queued = waiting;
      if (running !== undefined) out.running = running;
      const kv = kvCacheUsage(samples);
      if (kv !== undefined) out.kvCacheUsage = kv;
    }
    return out;
  }
}

/** The fullest engine's KV cache: with data parallelism each engine has its own (`engine` label). */
function kvCacheUsage(samples: readonly PromSample[]): number | undefined {
  for (const name of ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc']) {
    const values = samples.filter((s) => s.name === name).map((s) => s.value);
    if (values.length) return Math.max(...values);
  }
  return undefined;
}
