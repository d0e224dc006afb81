"""Chinese Voice-of-Customer pipeline for car makers: every stage as a library."""

import os

# Offline by default: no code may fetch weights or data from a hub at run time. huggingface_hub reads
# these once, when it is first imported, so they must be set before any stage imports it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _size_thread_pools() -> None:
    """numpy's and scipy's BLAS (and OpenMP) threads: the cores other processes leave free, read by
    the libraries once, when they load. Two threads on a busy 2-core machine made each BLAS call
    several times slower than one; an explicit setting in the environment is kept."""
    from pipeline.cores import free_cores

    try:
        threads = str(free_cores())
    except Exception:  # noqa: BLE001 - a bad VOC_EMBED_THREADS is reported where the embedder reads it
        return
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)


_size_thread_pools()

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("voc-pipeline")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+source"
