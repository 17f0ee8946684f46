#!/bin/sh
':' //; exec node --no-memory-reducer --min-semi-space-size=16 "$0" "$@"
// The `broke-cluster` bin. It is committed (dist/ is not) so that `npm ci` links it into
// node_modules/.bin before anything is built; without it npx would ask the public registry.
// Line 2 is sh's (run by the `#!` line) and a no-op string and comment to node: it starts node
// without V8's memory reducer and with its young generation held at the size steady load grows it
// to (16 MB semi-spaces). `serve` is a long-running server that idles between bursts of requests;
// after ~8 s idle the reducer runs full GCs that shrink the heap, and the next burst pays for it;
// and in some runs V8 kept the young generation small, so a burst scavenged every ~36 requests
// instead of every ~300 (docs/gateway.md, "Idle spells and V8's memory reducer", "The young
// generation's floor").
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'error: broke-cluster is not built yet (run `npm run build` in the repository, or `bash scripts/setup.sh`)\n',
  );
  process.exit(1);
}
await import(main.href);
