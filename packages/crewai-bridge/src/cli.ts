#!/usr/bin/env node
import { runBridgeCli } from '@broke/core';
import { bridge } from './bridge.js';

runBridgeCli(bridge).catch((err: Error & { toLine?: () => string }) => {
  console.error(`broke-crewai-bridge: ${err.toLine ? err.toLine() : err.message}`);
  process.exit(1);
});
