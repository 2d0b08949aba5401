"""Engines and transactions.

Engines are created lazily per process (background callbacks run in other
processes; an engine must never cross a fork). The dashboard uses the app role;
command-line tools use the owner role.

Read replicas (``CHIPAO_READ_DATABASE_URL``, comma-separated, app-role URLs of hot
standbys): :func:`scoped_read` serves read-only dashboard queries from one of them,
and from the primary when none is configured, reachable, or — for a user who has just
written — replayed past that user's write (`min_lsn`, from :func:`wal_position` after
the write). A replica that fails is left alone for a few seconds; nothing written
ever goes to one.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Connection, Engine, create_engine, exc, text

from chipao.domain.scope import SYSTEM, Role, Scope
from chipao.settings import Database, current
from queries.sessions import open_session

_engines: dict[tuple[int, str], Engine] = {}
log = logging.getLogger("chipao.db")
REPLICA_RETRY_AFTER = 5.0  # seconds a failed replica is skipped
_replica_down: dict[str, float] = {}
_rotation = itertools.count()
_replica_lock = threading.Lock()
_database: Database | None = None


def configure(database: Database | None) -> None:
    """Point this process's engines at `database` (entry points pass their settings'
    ``database``); None follows whatever settings are installed."""
    global _database
    _database = database


def database() -> Database:
    return _database if _database is not None else current().database


def _engine(url: str, **kwargs) -> Engine:
    key = (os.getpid(), url)
    if key not in _engines:
        if not url:
            raise RuntimeError(
                "No database configured: set DATABASE_URL or run `make db` for the local PostGIS."
            )
        _engines[key] = create_engine(url, pool_pre_ping=True, **kwargs)
    return _engines[key]


def _set_scope(conn: Connection, scope: Scope) -> None:
    """Hand the transaction its session token: row-level security shows only what the
    database's own session table grants that token (migration 0008b)."""
    token = scope.session
    if token is None and scope.may_see_records and scope.role != Role.SYSTEM:
        token = _system_session(scope)
    conn.execute(
        text("SELECT set_config('chipao.session', :s, true), "
             "set_config('chipao.user', :u, true)"),
        {"s": token or "", "u": scope.username},
    )


MINTED_LIFETIME = timedelta(minutes=15)
_minted: dict[tuple, tuple[str, float]] = {}
_minted_lock = threading.Lock()


def _system_session(scope: Scope) -> str:
    """A short-lived session for a scope built in code rather than signed in (the
    command line, tests, benchmarks, jobs without a user): opened by the owner role,
    reused by this process until shortly before it expires. The dashboard's requests
    always carry their user's own session (chipao.web.auth)."""
    key = (os.getpid(), database().owner_url, scope.username, str(scope.role), scope.areas)
    now = time.monotonic()
    with _minted_lock:
        hit = _minted.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        with owner() as conn:
            token = open_session(conn, SYSTEM, user_id=None, username=scope.username,
                                 role=scope.role, areas=scope.areas, lifetime=MINTED_LIFETIME)
        _minted[key] = (token, now + MINTED_LIFETIME.total_seconds() - 60)
        return token


def owner_engine() -> Engine:
    return _engine(database().owner_url)


def app_engine() -> Engine:
    return _engine(database().app_url, pool_size=5, max_overflow=5)


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
    _minted.clear()


@contextmanager
def scoped(scope: Scope) -> Iterator[Connection]:
    """A transaction whose row-level-security scope is the user's.

    The system scope (command-line tools) uses the owner role; every other scope uses
    the app role, for which PostgreSQL itself filters household rows.
    """
    engine = owner_engine() if scope.role == Role.SYSTEM else app_engine()
    with engine.begin() as conn:
        _set_scope(conn, scope)
        yield conn


def wal_position() -> str:
    """The primary's WAL position now (after a committed write): a replica that has
    replayed up to here shows that write."""
    with app_engine().connect() as conn:
        return conn.execute(text("SELECT pg_current_wal_insert_lsn()::text")).scalar_one()


def replica_engine(url: str) -> Engine:
    # a replica that does not answer within 2 s is skipped, the primary serves
    return _engine(url, pool_size=5, max_overflow=5, connect_args={"connect_timeout": 2})


def _replica_connection(min_lsn: str | None) -> Connection | None:
    """A connection to a replica that is up and (with `min_lsn`) replayed past it."""
    urls = database().read_urls
    if not urls:
        return None
    start = next(_rotation)
    now = time.monotonic()
    for i in range(len(urls)):
        url = urls[(start + i) % len(urls)]
        if _replica_down.get(url, 0.0) > now:
            continue
        try:
            conn = replica_engine(url).connect()
        except exc.DBAPIError as err:
            with _replica_lock:
                _replica_down[url] = time.monotonic() + REPLICA_RETRY_AFTER
            log.warning("read replica unavailable, reading from the primary: %s",
                        str(err).splitlines()[0])
            continue
        if min_lsn is None:
            return conn
        try:
            caught_up = conn.execute(
                text("SELECT coalesce(pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn), "
                     "NOT pg_is_in_recovery())"), {"lsn": min_lsn}).scalar_one()
            conn.rollback()
        except exc.DBAPIError:
            conn.close()
            continue
        if caught_up:
            return conn
        conn.close()
    return None


@contextmanager
def scoped_read(scope: Scope, min_lsn: str | None = None) -> Iterator[Connection]:
    """A read-only transaction in the user's scope on a read replica when one fits
    (see the module's docstring), else on the primary as :func:`scoped` gives.
    Never write through it: a replica refuses writes."""
    # a scope without a session of its own gets one on the primary just now, which a
    # replica may not have replayed yet: such reads (never the dashboard's) stay there
    minted = scope.session is None and scope.may_see_records
    conn = None if scope.role == Role.SYSTEM or minted else _replica_connection(min_lsn)
    if conn is None:
        with scoped(scope) as primary:
            yield primary
        return
    with conn, conn.begin():
        _set_scope(conn, scope)
        yield conn


@contextmanager
def owner() -> Iterator[Connection]:
    """A transaction as the owner role, for migrations, imports and aggregate rebuilds."""
    with owner_engine().begin() as conn:
        yield conn
