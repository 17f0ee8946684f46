#!/usr/bin/env bash
# The README's main command: set up everything, then start a small local cluster (real
# mlx_lm.server nodes on loopback), the BROKE gateway in front of it, and send a scripted
# multi-agent workload through it, printing where each request went and why.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
printf '\n== demo\n' >&2
exec npx tsx scripts/demo.ts "$@"
