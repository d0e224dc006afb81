#!/usr/bin/env bash
# Install and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/services.sh   # PostgreSQL server and headless Chromium for the output and report tests
exec .venv/bin/python -m pytest "$@"
