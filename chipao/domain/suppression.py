"""Small-count suppression for public viewers: a count of 1 to threshold−1 households (or
items) is not shown (the page writes "<5"), nor any figure computed from it. The one
home of the rule; queries and pages call these functions."""

from __future__ import annotations

import numpy as np

from chipao.domain.scope import Scope
from chipao.settings import settings


def threshold() -> int:
    return settings().suppress_below


def suppress(n: int | None, scope: Scope) -> int | None:
    """None when the count must not be shown to this scope (1 ≤ n < threshold)."""
    if n is None or not scope.suppress_small_counts:
        return n
    return None if 0 < n < threshold() else n


def share(n: int | None, total: int | None, scope: Scope) -> float | None:
    """n / total, or None when either count is suppressed or the total is zero."""
    n, total = suppress(n, scope), suppress(total, scope)
    if n is None or not total:
        return None
    return n / total


def small(counts: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Vectorised: True where a count must be suppressed (1 ≤ n < threshold); NaN is not."""
    limit = threshold() if limit is None else limit
    with np.errstate(invalid="ignore"):
        return (counts > 0) & (counts < limit)
