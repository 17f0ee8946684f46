#!/bin/sh
':' //; exec node --min-semi-space-size=8 "$0" "$@"
// The `broke-cluster` bin. It is committed (dist/ is not) so that `npm ci` links it into
// node_modules/.bin before anything is built; without it npx would ask the public registry.
// Line 2 is sh's (run by the `#!` line) and a no-op string and comment to node: it starts node
// with a young generation of at least 8 MB. `serve` is a long-running server whose garbage is
// per request; under bursty load V8 otherwise keeps that generation near 1 MB and collects it
// ~7× as often (docs/gateway.md, "The young generation under bursty load").
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'error: broke-cluster is not built yet (run `npm run build` in the repository, or `bash scripts/setup.sh`)\n',
  );
  process.exit(1);
}
await import(main.href);
