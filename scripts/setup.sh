#!/usr/bin/env bash
# Create .venv and install the tool. Idempotent: a second run only checks.
# torch goes first, pinned to the CPU build, or sentence-transformers would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh "${1:-app}"   # Apertium, Tesseract (and Chromium for tests) from Debian
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${1:-app}
if [ ! -f "$stamp" ]; then
    python -m pip install --quiet --upgrade pip
    python -m pip install --quiet "torch==2.13.0"
    if [ "${1:-app}" = test ]; then
        python -m pip install --quiet -e ".[test]"
    else
        python -m pip install --quiet -e .
    fi
    touch "$stamp"
fi
