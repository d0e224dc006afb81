#!/usr/bin/env bash
# System packages the tests need: a PostgreSQL server (the PostgreSQL output tests start their own
# on loopback) and headless Chromium with CJK fonts (the HTML report test renders the report).
# Installs only what is missing; needs root (or sudo) on Debian/Ubuntu when something is missing.
set -euo pipefail

missing=()
have_pg() { command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; }
have_pg || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "cjk" || missing+=(fonts-noto-cjk)

if [ ${#missing[@]} -eq 0 ]; then
    echo "services: postgresql, chromium and CJK fonts present"
    exit 0
fi
echo "services: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "services: ${missing[*]} missing and not root: install them with apt-get" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# The Debian package starts a cluster of its own; the tests never use it (they run initdb themselves).
