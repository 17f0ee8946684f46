import type { GatewayBridge } from '@broke/core';
import { autogenExtractor } from './extractor.js';

/** Mount under `/autogen` in a shared gateway: `startGateway({ config, bridges: [bridge] })`. */
export const bridge: GatewayBridge = { prefix: 'autogen', framework: 'autogen', extractor: autogenExtractor };
export const autogenBridge = bridge;
