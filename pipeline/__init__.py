"""Chinese Voice-of-Customer pipeline for car makers: every stage as a library."""

import os

# Offline by default: no code may fetch weights or data from a hub at run time. huggingface_hub reads
# these once, when it is first imported, so they must be set before any stage imports it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("voc-pipeline")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+source"
