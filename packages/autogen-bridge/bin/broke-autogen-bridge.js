#!/bin/sh
':' //; exec node --no-memory-reducer --min-semi-space-size=16 "$0" "$@"
// The `broke-autogen-bridge` bin. It is committed (dist/ is not) so that `npm ci` links it into
// node_modules/.bin before anything is built; without it npx would ask the public registry.
// Line 2 is sh's and a comment to node: node starts without V8's memory reducer and with its
// young generation held at its steady size, as `broke-cluster serve` does
// (packages/core/bin/broke-cluster.js says why).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'error: broke-autogen-bridge is not built yet (run `npm run build` in the repository, or `bash scripts/setup.sh`)\n',
  );
  process.exit(1);
}
await import(main.href);
