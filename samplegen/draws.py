"""Fast scalar random draws taken from blocks pre-drawn by one numpy Generator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


class Draws:
    """Scalar draws for per-row text composition.

    Calling the Generator once per scalar costs microseconds; composing 20,000 texts needs
    hundreds of thousands of draws, so uniforms are drawn in blocks. Same Generator state ->
    same sequence, so determinism is kept.

    Args:
        rng: the generator every draw comes from.
        block: how many uniforms to draw at a time.
    """

    def __init__(self, rng: np.random.Generator, block: int = 65536) -> None:
        self.rng = rng
        self.block = block
        self._buf = rng.random(block)
        self._i = 0

    def random(self) -> float:
        """One uniform draw in [0, 1)."""
        if self._i >= self.block:
            self._buf = self.rng.random(self.block)
            self._i = 0
        value = self._buf[self._i]
        self._i += 1
        return float(value)

    def chance(self, p: float) -> bool:
        """True with probability `p`."""
        return self.random() < p

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high] (both included)."""
        return low + int(self.random() * (high - low + 1))

    def choice(self, items: Sequence[T]) -> T:
        """One element of `items`, uniformly."""
        return items[int(self.random() * len(items))]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """`k` distinct elements of `items` in random order (k <= len(items))."""
        pool = list(items)
        out = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(int(self.random() * len(pool))))
        return out

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        """One element of `items` with probability proportional to `weights`."""
        target = self.random() * sum(weights)
        acc = 0.0
        for item, w in zip(items, weights):
            acc += w
            if target < acc:
                return item
        return items[-1]
