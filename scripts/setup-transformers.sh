#!/usr/bin/env bash
# Creates (or reuses) the venv with `transformers serve` and PyTorch, and prints its path on stdout.
# Separate from the main venv: torch from PyPI brings ~5 GB of CUDA libraries on Linux, and only the
# Transformers node kind's test needs it. Keyed by the hash of its pins, in $BROKE_CACHE.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BROKE_CACHE:-$HOME/.cache/broke}"
mkdir -p "$CACHE"
KEY=$(cat "$ROOT"/scripts/requirements-transformers.txt "$ROOT"/scripts/setup-transformers.sh | sha256sum | cut -c1-16)
VENV="$CACHE/transformers-venv-$KEY"

if [ -f "$VENV/.ready" ]; then echo "$VENV"; exit 0; fi

# Several test workers may ask at once: one builds, the others wait on the lock.
exec 9>"$CACHE/transformers-venv.lock"
flock 9
if [ -f "$VENV/.ready" ]; then echo "$VENV"; exit 0; fi

PY="$(command -v python3.11 || command -v python3)"
echo "setting up the Transformers venv at $VENV (using $PY; torch is large, this takes a while)" >&2
rm -rf "$VENV"
"$PY" -m venv "$VENV"
# No pip cache: the wheels (~3 GB) would double the disk this costs.
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --no-cache-dir)
"${PIP[@]}" install -q --upgrade pip >&2
"${PIP[@]}" install -q -r "$ROOT/scripts/requirements-transformers.txt" >&2
touch "$VENV/.ready"
echo "$VENV"
