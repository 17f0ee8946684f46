import type { ModelConfig } from '../config/schema.js';
import { ValidationError } from '../errors.js';
import { LlamaCppDriver } from './llamacpp.js';
import { MlxDriver } from './mlx.js';
import { MlxKnifeDriver } from './mlx-knife.js';
import { OllamaDriver } from './ollama.js';
import { OpenAIDriver } from './openai.js';
import type { DriverNode, DriverOptions, OpenAICompatibleDriver } from './openai-compatible.js';
import { RayServeDriver } from './rayserve.js';
import { TransformersDriver } from './transformers.js';
import { VllmDriver } from './vllm.js';

/**
 * One driver per node, chosen by `kind`. Pass the config's model catalog as `models` so each
 * model's own `stopTokens` (from its tokenizer config) are cut from its output too.
 */
export function createDriver(
  node: DriverNode,
  options: DriverOptions & { models?: readonly Pick<ModelConfig, 'id' | 'stopTokens'>[] } = {},
): OpenAICompatibleDriver {
  const { models, ...driverOptions } = options;
  const driver = driverFor(node, driverOptions);
  for (const served of node.models ?? []) {
    const stops = models?.find((m) => m.id === served.id)?.stopTokens;
    if (!stops?.length) continue;
    // Callers name the model by config id or, like the gateway, by the name the server expects.
    driver.setStopTokens(served.id, stops);
    if (served.servedName) driver.setStopTokens(served.servedName, stops);
  }
  return driver;
}

function driverFor(node: DriverNode, options: DriverOptions): OpenAICompatibleDriver {
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
    case 'rayserve':
      return new RayServeDriver(node, options);
    case 'transformers':
      return new TransformersDriver(node, options);
    default:
      throw new ValidationError(`unknown node kind "${String(node.kind)}"`, {
        field: 'kind',
        hint: 'use mlx, mlx-knife, ollama, llamacpp, vllm, openai, rayserve or transformers',
      });
  }
}
