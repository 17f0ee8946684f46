#!/usr/bin/env bash
# The README's test command: set up everything, then typecheck, lint and run ALL tests
# (unit and integration against real mlx_lm.server nodes, a real sshd and the real Python frameworks).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
printf '\n== typecheck\n'
npm run -s typecheck
printf '\n== lint\n'
npm run -s lint
printf '\n== tests\n'
npx vitest run "$@"
