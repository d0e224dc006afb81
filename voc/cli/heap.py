"""The `voc` process's garbage collector: objects made by imports are left out of its walks.

A full collection walks every tracked object. After Prefect, pandas and the models are imported that is
about 150,000 objects, 0.1-0.2 s a walk, and a 3,000-row daily run walked them six times (0.8 s of a
warm run). Frozen (`gc.freeze`), they are never walked again; the walks see only what the run made.
They are module-level objects that live as long as the process anyway. Only the `voc` command's own
process does this: a program that imports `voc.cli` (tests, a notebook) keeps its collector as it was.
"""

from __future__ import annotations

import gc

_COMMAND_PROCESS = False


def own_process() -> None:
    """Called by the command's entry point: this process is `voc`; freeze what is imported so far."""
    global _COMMAND_PROCESS
    _COMMAND_PROCESS = True
    gc.freeze()


def freeze_imported() -> None:
    """After a command's heavy imports (Prefect, the flow's modules): freeze them too, in `voc` only."""
    if _COMMAND_PROCESS:
        gc.freeze()
