#!/usr/bin/env bash
# Creates (or reuses) BROKE's Python venv and prints its path on stdout.
# The venv lives in $BROKE_CACHE (default ~/.cache/broke) keyed by the hash of the pinned
# requirement files, so a fresh clone reuses it and a changed pin builds a new one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BROKE_CACHE:-$HOME/.cache/broke}"
mkdir -p "$CACHE"
KEY=$(cat "$ROOT"/testbed/requirements.txt "$ROOT"/testbed/requirements-frameworks.txt "$ROOT"/scripts/setup-python.sh | sha256sum | cut -c1-16)
VENV="$CACHE/venv-$KEY"

if [ -f "$VENV/.ready" ]; then echo "$VENV"; exit 0; fi

# Several test workers may ask at once: one builds, the others wait on the lock.
exec 9>"$CACHE/venv.lock"
flock 9
if [ -f "$VENV/.ready" ]; then echo "$VENV"; exit 0; fi

PY="$(command -v python3.11 || command -v python3)"
echo "setting up Python venv at $VENV (using $PY)" >&2
rm -rf "$VENV"
"$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --cache-dir "$CACHE/pip")
"${PIP[@]}" install -q --upgrade pip >&2
# MLX: Metal build on Apple Silicon, the CPU build everywhere else.
if [ "$(uname -s)" = Darwin ] && [ "$(uname -m)" = arm64 ]; then MLX="mlx==0.32.4"; else MLX="mlx[cpu]==0.32.4"; fi
"${PIP[@]}" install -q "$MLX" -r "$ROOT/testbed/requirements.txt" -r "$ROOT/testbed/requirements-frameworks.txt" >&2
touch "$VENV/.ready"
ln -sfn "$VENV" "$ROOT/.venv"
echo "$VENV"
