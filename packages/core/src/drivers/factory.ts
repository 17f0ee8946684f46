import { ValidationError } from '../errors.js';
import { LlamaCppDriver } from './llamacpp.js';
import { MlxDriver } from './mlx.js';
import { MlxKnifeDriver } from './mlx-knife.js';
import { OllamaDriver } from './ollama.js';
import { OpenAIDriver } from './openai.js';
import type { DriverNode, DriverOptions, OpenAICompatibleDriver } from './openai-compatible.js';
import { VllmDriver } from './vllm.js';

/** One driver per node, chosen by `kind`. */
export function createDriver(node: DriverNode, options: DriverOptions = {}): OpenAICompatibleDriver {
  switch (node.kind) {
    case 'mlx':
      return new MlxDriver(node, options);
    case 'mlx-knife':
      return new MlxKnifeDriver(node, options);
    case 'ollama':
      return new OllamaDriver(node, options);
    case 'llamacpp':
      return new LlamaCppDriver(node, options);
    case 'vllm':
      return new VllmDriver(node, options);
    case 'openai':
      return new OpenAIDriver(node, options);
    default:
      throw new ValidationError(`unknown node kind "${String(node.kind)}"`, {
        field: 'kind',
        hint: 'use mlx, mlx-knife, ollama, llamacpp, vllm or openai',
      });
  }
}
