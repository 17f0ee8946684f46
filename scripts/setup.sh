#!/usr/bin/env bash
# Installs everything BROKE needs on this machine, idempotently:
#   Debian packages (when root and missing), npm packages, the pinned Python venv, the generated
#   test models, and a build of every package. Caches live in ~/.cache/broke (see README).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BROKE_CACHE="${BROKE_CACHE:-$HOME/.cache/broke}"
mkdir -p "$BROKE_CACHE"
step() { printf '\n== %s\n' "$*" >&2; }

# 1. System packages: sshd for the SSH tests, redis for shared state, haproxy in front of gateway
#    replicas (docs/scaling.md), a compiler for better-sqlite3,
#    chromium for the dashboard's browser test (driven by playwright-core; no browser download),
#    openssl for the HTTPS upstream test's throwaway certificate.
missing=()
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null || missing+=(haproxy)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    step "installing Debian packages: ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "warning: missing ${missing[*]}; install them (as root: apt-get install ${missing[*]}) for the SSH, Redis, replica and browser tests" >&2
  fi
fi

# 2. Node packages (npm's cache is ~/.cache/broke/npm, set in .npmrc).
step "npm packages"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit >&2
fi

# 3. Python venv with pinned mlx-lm and the agent frameworks.
step "Python venv"
VENV="$(bash scripts/setup-python.sh)"
# Linked here on every run: setup-python.sh returns early when the venv is already cached, so a
# fresh clone on a machine with a warm cache would otherwise get no .venv. (The link is not added to
# setup-python.sh's early exit because that script is part of the venv's cache key.)
if [ -L .venv ] || [ ! -e .venv ]; then
  ln -sfn "$VENV" .venv
else
  echo "warning: .venv is not a link to $VENV; leaving it as it is" >&2
fi
echo "venv: $VENV" >&2

# 3b. Ray Serve venv (Ray, Serve, mlx-lm on CPU) for the rayserve node kind, keyed by its own pins.
step "Ray Serve venv"
echo "ray venv: $(bash scripts/setup-ray.sh)" >&2

# 4. Test models, generated locally (no downloads), in a folder keyed by the hash of the generator
#    and its inputs. The generator owns that key; testbed/paths.ts asks it the same way.
step "test models"
MODELS="$("$VENV/bin/python" scripts/gen_tiny_model.py --print-cache-dir "$BROKE_CACHE")"
if [ ! -f "$MODELS/.complete" ]; then
  mkdir -p "$MODELS"
  "$VENV/bin/python" scripts/gen_tiny_model.py --out "$MODELS" all >&2
  touch "$MODELS/.complete"
fi
echo "models: $MODELS" >&2

# 4b. `transformers serve` with PyTorch (CPU) for the Transformers node kind's test, in a venv of
#     its own: on Linux PyPI's torch brings ~5 GB of CUDA libraries (~1 min on a fast link).
#     BROKE_SKIP_TRANSFORMERS=1 skips it here; the test then builds it on first use.
if [ "${BROKE_SKIP_TRANSFORMERS:-0}" != 1 ]; then
  step "transformers venv"
  echo "transformers venv: $(bash scripts/setup-transformers.sh)" >&2
fi

# 5. Build every package (dist/ with type declarations).
step "build"
npm run -s build >&2
