#!/usr/bin/env bash
# Install, generate 20,000 sample feedback rows, run the daily flow, print the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/voc demo "$@"
