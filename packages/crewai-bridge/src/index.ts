import { type RunningGateway, startBridge } from '@broke/core';
import { bridge } from './bridge.js';

export * from './bridge.js';
export * from './extractor.js';

/** Serve the CrewAI bridge on its own; CrewAI's `base_url` is `${url}/v1` (or `${url}/crewai/v1`). */
export function startCrewAIBridge(options: Parameters<typeof startBridge>[1]): Promise<RunningGateway> {
  return startBridge(bridge, options);
}
