"""Prefect flows: wiring of `pipeline/` stages, plus all reading and writing."""

import os

# The local temporary server must not try to send usage telemetry (no network here, and it logs errors).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
