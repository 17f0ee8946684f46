import type { GatewayBridge } from '@broke/core';
import { autogenExtractor } from './extractor.js';

/**
 * Mount under `/autogen` in a shared gateway: `startGateway({ config, bridges: [bridge] })`.
 * Answers name the model AutoGen asked for (`broke-auto`): AutoGen warns "Resolved model
 * mismatch" on every call otherwise. The model that served is in `x-broke-model` and the route.
 */
export const bridge: GatewayBridge = {
  prefix: 'autogen',
  framework: 'autogen',
  extractor: autogenExtractor,
  responseModel: 'requested',
};
export const autogenBridge = bridge;
