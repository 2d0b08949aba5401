"""Result caches: a scope-keyed cache for per-user results, and the shared cache that
lets every worker reuse geometry and aggregate tables another worker already built.

- With Redis (``CHIPAO_REDIS_URL``, or ``CHIPAO_REDIS=local``) both live in Redis through
  Flask-Caching's ``RedisCache``; without it, per-user results go to a FileSystemCache
  under .cache/ and geometry/aggregates stay in each process's memory only.
- Keys carry the database, the data versions the value was computed from (migration
  0012: bumped by triggers on every import and `chipao refresh`) and, for per-user
  results, the user's scope — one user's answer never reaches another scope, and a
  change of the data is a new key everywhere at once instead of a stale hit.
- Redis going away must not take the dashboard with it: every call that fails counts
  as a miss (or a no-op), and Redis is left alone for a few seconds before the next try.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import threading
import time
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, TypeVar

from cachelib import FileSystemCache

from chipao.domain.scope import Scope
from chipao.settings import current
from geodata import serve
from queries import db, mpi

T = TypeVar("T")
DEFAULT_TIMEOUT = 300
SHARED_TIMEOUT = 6 * 3600  # versioned keys never go stale; this only bounds memory
RETRY_AFTER = 5.0  # seconds without Redis after a failure
log = logging.getLogger("chipao.web.cache")


class SharedCache:
    """Flask-Caching's RedisCache, failing soft: get → None and set → False while Redis
    is unreachable (short socket timeouts, then no attempt for RETRY_AFTER seconds)."""

    def __init__(self, url: str, prefix: str = "chipao:"):
        import redis
        from flask_caching.backends.rediscache import RedisCache

        self.url = url
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5,
                                      health_check_interval=30)
        self.backend = RedisCache(host=client, key_prefix=prefix,
                                  default_timeout=SHARED_TIMEOUT)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, err: Exception) -> None:
        with self._lock:
            if self.available:
                log.warning("shared cache unavailable (%s); serving without it", err)
            self._down_until = time.monotonic() + RETRY_AFTER

    def get(self, key: str) -> Any:
        if not self.available:
            return None
        try:
            return self.backend.get(key)
        except Exception as err:  # redis errors and unpickling of a foreign value
            self._failed(err)
            return None

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        if not self.available:
            return False
        try:
            return bool(self.backend.set(key, value, timeout=timeout))
        except Exception as err:
            self._failed(err)
            return False

    def clear(self) -> bool:
        try:
            return bool(self.backend.clear())
        except Exception as err:
            self._failed(err)
            return False


@lru_cache(maxsize=4)
def _shared_for(url: str) -> SharedCache:
    return SharedCache(url)


def shared_cache() -> SharedCache | None:
    """The Redis-backed cache when Redis is configured, else None."""
    url = current().services.redis_url
    return _shared_for(url) if url else None


@lru_cache(maxsize=4)
def _store(path: str) -> FileSystemCache:
    return FileSystemCache(path, threshold=5000, default_timeout=DEFAULT_TIMEOUT, mode=0o600)


def _cache() -> SharedCache | FileSystemCache:
    return shared_cache() or _store(str(current().services.cache_dir / "results"))


def database_name() -> str:
    return db.database().owner_url.rsplit("/", 1)[-1]


def cache_key(scope: Scope, key_parts: tuple[Hashable, ...]) -> str:
    """The stored key: the database (tests and deployments may share a folder or a
    Redis), the scope, then the caller's parts; hashed to a fixed length."""
    raw = json.dumps([database_name(), scope.cache_key, *key_parts],
                     ensure_ascii=False, default=str, sort_keys=True)
    return "scoped:" + hashlib.sha256(raw.encode()).hexdigest()


def cached(scope: Scope, key_parts: tuple[Hashable, ...] | list, fn: Callable[[], T],
           timeout: int = DEFAULT_TIMEOUT) -> T:
    """fn() computed once per (scope, key_parts) within `timeout` seconds. Put the data
    versions the value depends on into `key_parts`."""
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
    """Forget every cached result (versioned keys make this a matter of memory only)."""
    _cache().clear()


class SharedTables:
    """The shared second level behind the per-process caches of geometry
    (geodata.serve) and aggregate tables (queries.mpi): their keys are tuples that
    already carry the database and the data version; values are pickled."""

    def __init__(self, cache: SharedCache):
        self.cache = cache

    @staticmethod
    def _key(key: tuple) -> str:
        return "table:" + hashlib.sha256(pickle.dumps(key)).hexdigest()

    def get(self, key: tuple) -> Any:
        return self.cache.get(self._key(key))

    def put(self, key: tuple, value: Any) -> None:
        self.cache.set(self._key(key), value)


def install_shared_tables() -> SharedTables | None:
    """Give geometry serving and the aggregate-table cache their shared level (a no-op
    without Redis). Called once per process by the app."""
    cache = shared_cache()
    tables = SharedTables(cache) if cache else None
    serve.set_shared(tables)
    mpi.table_cache.shared = tables
    return tables
