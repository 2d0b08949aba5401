"""The one rule for "too few households for a stable rate" (CHIPAO_MIN_HOUSEHOLDS,
20 by default): a rate whose denominator is 1 to minimum−1 is not coloured or ranked and
the page says why. A denominator of 0 or none is not "too few": there is nothing to
show (no data), which pages draw as such."""

from __future__ import annotations

import numpy as np

from chipao.settings import current


def min_households() -> int:
    return current().disclosure.min_households


def too_few(n: int | float | None, minimum: int | None = None) -> bool:
    """True when the denominator is positive but below the minimum."""
    minimum = min_households() if minimum is None else minimum
    return n is not None and 0 < n < minimum


def too_few_mask(n: np.ndarray, minimum: int | None = None) -> np.ndarray:
    """Vectorised too_few (NaN: no data, not too few)."""
    minimum = min_households() if minimum is None else minimum
    with np.errstate(invalid="ignore"):
        return (n > 0) & (n < minimum)
