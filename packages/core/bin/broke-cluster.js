#!/usr/bin/env node
// The `broke-cluster` bin. It is committed (dist/ is not) so that `npm ci` links it into
// node_modules/.bin before anything is built; without it npx would ask the public registry.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'error: broke-cluster is not built yet (run `npm run build` in the repository, or `bash scripts/setup.sh`)\n',
  );
  process.exit(1);
}
await import(main.href);
