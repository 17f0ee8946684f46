import { type RunningGateway, startBridge } from '@broke/core';
import { bridge } from './bridge.js';

export * from './bridge.js';
export * from './extractor.js';
export * from './selector.js';

/**
 * Serve the AutoGen bridge on its own; AutoGen's `base_url` is `${url}/v1`. `GET /v1/models/<id>`
 * carries a `model_info` object ready for `OpenAIChatCompletionClient(model_info=...)`.
 */
export function startAutoGenBridge(options: Parameters<typeof startBridge>[1]): Promise<RunningGateway> {
  return startBridge(bridge, options);
}
