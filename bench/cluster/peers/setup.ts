/**
 * Installs the peer gateways for the cluster benchmark (idempotent; a second run finds them ready)
 * and prints where they went:
 *
 *   npx tsx bench/cluster/peers/setup.ts
 *
 * LiteLLM: a venv under $BROKE_CACHE (default ~/.cache/broke)/litellm-venv-<hash of the pins>, pip
 * cache in $BROKE_CACHE/pip. Portkey: bench/cluster/peers/portkey/node_modules, npm cache in
 * $BROKE_CACHE/npm. Network: PyPI and the npm registry, only when something is missing.
 */
import { setupPeers } from './index.js';

const t0 = performance.now();
await setupPeers();
console.log(`peers ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
