import type { GatewayBridge } from '@broke/core';
import { crewaiExtractor } from './extractor.js';

/** Mount under `/crewai` in a shared gateway: `startGateway({ config, bridges: [bridge] })`. */
export const bridge: GatewayBridge = { prefix: 'crewai', framework: 'crewai', extractor: crewaiExtractor };
export const crewaiBridge = bridge;
