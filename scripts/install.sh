#!/usr/bin/env bash
# Create .venv (if missing) and install exactly the versions of requirements.txt, then the project.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# The pip that reads the lock: older ones (Python 3.11's 23.2) refuse an extra such as
# sqlalchemy[asyncio] in hash-checking mode when another package asks for plain sqlalchemy.
.venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==26.3"
# Every package at its locked version and hash (the CPU build of torch included: any other torch
# pulls several GB of CUDA packages). --no-deps on the project: the lock already holds its dependencies.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
.venv/bin/python -m pip check
