"""The registry that names the embedding backends: `get_embedder("usem3")` builds one.

Each backend module registers its class with `pipeline.embed.base.register` when it is imported; this
module imports them all, so the interface (`base`) never imports its own backends.
"""

from __future__ import annotations

from pipeline.embed import backends, static  # noqa: F401  (importing them registers the backends)
from pipeline.embed.base import _REGISTRY, Embedder, EmbedderName
from pipeline.errors import VocError


def get_embedder(name: str | EmbedderName = EmbedderName.usem3, **kwargs) -> Embedder:
    """Build a registered embedder by name; kwargs go to its constructor."""
    key = name.value if isinstance(name, EmbedderName) else str(name)
    if key not in _REGISTRY:
        raise VocError(f"unknown embedder '{key}'; registered: {sorted(_REGISTRY)}")
    return _REGISTRY[key](**kwargs)
