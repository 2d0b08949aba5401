"""A small result cache whose keys always include the user's scope.

One user's cached answer must never reach another user with a different role or
area, so the key is (store, scope.cache_key, *key_parts) and there is no way to call
the cache without a scope. Values live in a FileSystemCache under .cache/ (shared by
the dashboard's threads and worker processes) for `timeout` seconds; call `clear()`
after an import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import TypeVar

from cachelib import FileSystemCache

from chipao.domain.scope import Scope
from chipao.settings import settings

T = TypeVar("T")
DEFAULT_TIMEOUT = 300


@lru_cache(maxsize=4)
def _store(path: str) -> FileSystemCache:
    return FileSystemCache(path, threshold=5000, default_timeout=DEFAULT_TIMEOUT, mode=0o600)


def _cache() -> FileSystemCache:
    return _store(str(settings().cache_dir / "results"))


def cache_key(scope: Scope, key_parts: tuple[Hashable, ...]) -> str:
    """The stored key: the database (tests and deployments may share a folder), the
    scope, then the caller's parts; hashed to a fixed length."""
    raw = json.dumps([settings().owner_url.rsplit("/", 1)[-1], scope.cache_key, *key_parts],
                     ensure_ascii=False, default=str, sort_keys=True)
    return "chipao:" + hashlib.sha256(raw.encode()).hexdigest()


def cached(scope: Scope, key_parts: tuple[Hashable, ...] | list, fn: Callable[[], T],
           timeout: int = DEFAULT_TIMEOUT) -> T:
    """fn() computed once per (scope, key_parts) within `timeout` seconds."""
    if not isinstance(scope, Scope):
        raise TypeError("cached() needs the request's Scope")
    key = cache_key(scope, tuple(key_parts))
    store = _cache()
    hit = store.get(key)
    if hit is not None:
        return hit[0]  # stored wrapped, so a cached None is still a hit
    value = fn()
    store.set(key, (value,), timeout=timeout)
    return value


def clear() -> None:
    """Forget every cached result (after an import or a change of the data)."""
    _cache().clear()


