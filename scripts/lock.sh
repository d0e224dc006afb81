#!/usr/bin/env bash
# Refresh requirements.txt, the lock file: every package the project and its tests need, at exact versions with
# hashes, resolved from pyproject.toml's bounds and constraints.txt by pip-tools' pip-compile.
# Extras stay in the pins (sqlalchemy[asyncio]==...): pip's hash-checking mode refuses an extra it
# sees unpinned. Run it after changing a dependency in pyproject.toml, then run the test suite and commit both files.
#   bash scripts/lock.sh                   # keep locked versions that still satisfy the bounds
#   bash scripts/lock.sh --upgrade         # move every package to the newest version the bounds allow
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TOOLS=$(mktemp -d)
trap 'rm -rf "$TOOLS"' EXIT
"$PY" -m venv "$TOOLS/venv"
# pip-tools drives pip's own resolver, so it sees the same wheels (the CPU torch build) pip installs.
"$TOOLS/venv/bin/python" -m pip install --quiet "pip==26.3" "pip-tools==7.6.2"
"$TOOLS/venv/bin/pip-compile" --quiet --extra dev --no-strip-extras --allow-unsafe --generate-hashes \
    --no-emit-index-url --no-emit-find-links --constraint constraints.txt \
    --output-file requirements.txt "$@" pyproject.toml
echo "requirements.txt: $(grep -c '^[a-zA-Z0-9]' requirements.txt) packages"
