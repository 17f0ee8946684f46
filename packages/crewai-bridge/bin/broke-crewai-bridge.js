#!/usr/bin/env node
// The `broke-crewai-bridge` bin. It is committed (dist/ is not) so that `npm ci` links it into
// node_modules/.bin before anything is built; without it npx would ask the public registry.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'error: broke-crewai-bridge is not built yet (run `npm run build` in the repository, or `bash scripts/setup.sh`)\n',
  );
  process.exit(1);
}
await import(main.href);
