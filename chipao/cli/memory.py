"""A threaded server's memory kept flat: fewer glibc malloc arenas.

glibc gives each new thread its own malloc arena (up to 8 per core) and hands freed
memory back from none of them, so a dashboard process whose 8 request threads each build
views' values grew by ~30 MB per page view (bench store, national tambon map: 483 →
615 MB over 24 views, still growing; with 2 arenas it stayed at ~400 MB and the first
render was as fast — docs/performance.md). The request threads hold the GIL while they
allocate anyway, so more arenas buy no parallelism.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """At most `arenas` malloc arenas for the threads started from now on (call it
    before the server's threads; forked workers inherit it). False when the operator
    set MALLOC_ARENA_MAX (glibc has read it: theirs holds) or the C library is not
    glibc (nothing to do)."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library: no lookup
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
