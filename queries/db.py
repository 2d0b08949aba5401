"""Engines and transactions.

Engines are created lazily per process (background callbacks run in other
processes; an engine must never cross a fork). The dashboard uses the app role;
command-line tools use the owner role.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, text

from chipao.config import settings
from queries.scope import Role, Scope

_engines: dict[tuple[int, str], Engine] = {}


def _engine(url: str, **kwargs) -> Engine:
    key = (os.getpid(), url)
    if key not in _engines:
        if not url:
            raise RuntimeError(
                "No database configured: set DATABASE_URL or run `make db` for the local PostGIS."
            )
        _engines[key] = create_engine(url, pool_pre_ping=True, **kwargs)
    return _engines[key]


def owner_engine() -> Engine:
    return _engine(settings().owner_url)


def app_engine() -> Engine:
    return _engine(settings().app_url, pool_size=5, max_overflow=5)


def forget_inherited() -> None:
    """In a freshly forked process: drop the parent's engines without closing their
    connections (they are the parent's sockets); this process opens its own."""
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def scoped(scope: Scope) -> Iterator[Connection]:
    """A transaction whose row-level-security scope is the user's.

    The system scope (command-line tools) uses the owner role; every other scope uses
    the app role, for which PostgreSQL itself filters household rows.
    """
    engine = owner_engine() if scope.role == Role.SYSTEM else app_engine()
    with engine.begin() as conn:
        conn.execute(
            text("SELECT set_config('chipao.scope', :s, true), "
                 "set_config('chipao.user', :u, true)"),
            {"s": scope.rls_setting, "u": scope.username},
        )
        yield conn


@contextmanager
def owner() -> Iterator[Connection]:
    """A transaction as the owner role, for migrations, imports and aggregate rebuilds."""
    with owner_engine().begin() as conn:
        yield conn
