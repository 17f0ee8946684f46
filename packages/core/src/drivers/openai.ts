import { OpenAICompatibleDriver } from './openai-compatible.js';

/** Any OpenAI-compatible server. Observes: health (GET /v1/models answers) and its model list. */
export class OpenAIDriver extends OpenAICompatibleDriver {
  override readonly kind: string = 'openai';
}
