import { OpenAICompatibleDriver } from './openai-compatible.js';

/**
 * mlx-knife's `mlxk server` (OpenAI-compatible, /health and /v1/models over its cache).
 * Observes: health and the models it can serve; not which are resident, nor queues.
 */
export class MlxKnifeDriver extends OpenAICompatibleDriver {
  override readonly kind: string = 'mlx-knife';
  protected override healthPath = '/health';
}
