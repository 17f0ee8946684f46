#!/usr/bin/env bash
# Creates (or reuses) the Ray Serve venv (Ray, Serve, mlx-lm on CPU) and prints its path on stdout.
# It lives in $BROKE_CACHE (default ~/.cache/broke) as ray-venv-<hash of the pins and this script>,
# apart from the main venv so that Ray's pins never force a rebuild of that one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BROKE_CACHE:-$HOME/.cache/broke}"
mkdir -p "$CACHE"
KEY=$(cat "$ROOT"/scripts/requirements-ray.txt "$ROOT"/scripts/setup-ray.sh | sha256sum | cut -c1-16)
VENV="$CACHE/ray-venv-$KEY"

if [ -f "$VENV/.ready" ]; then echo "$VENV"; exit 0; fi

# Several test workers may ask at once: one builds, the others wait on the lock.
exec 9>"$CACHE/ray-venv.lock"
flock 9
if [ -f "$VENV/.ready" ]; then echo "$VENV"; exit 0; fi

PY="$(command -v python3.11 || command -v python3)"
echo "setting up the Ray Serve venv at $VENV (using $PY)" >&2
rm -rf "$VENV"
"$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --cache-dir "$CACHE/pip")
"${PIP[@]}" install -q --upgrade pip >&2
# Same MLX as the main venv (scripts/setup-python.sh): Metal on Apple Silicon, CPU elsewhere.
if [ "$(uname -s)" = Darwin ] && [ "$(uname -m)" = arm64 ]; then MLX="mlx==0.32.4"; else MLX="mlx[cpu]==0.32.4"; fi
"${PIP[@]}" install -q "$MLX" -r "$ROOT/scripts/requirements-ray.txt" >&2
touch "$VENV/.ready"
echo "$VENV"
