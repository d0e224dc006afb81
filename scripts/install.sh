#!/usr/bin/env bash
# Create .venv (if missing) and install the project with the pins this machine needs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
# torch first, on its own: any other torch version pulls several GB of CUDA packages.
.venv/bin/python -m pip install --quiet -c constraints.txt "torch==2.13.0"
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[dev]"
