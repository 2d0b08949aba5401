"""Small-count suppression for public viewers (counts below a threshold become "<5")."""

from __future__ import annotations

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
