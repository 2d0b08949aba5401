"""The signed-in user's scope, from the server-side session only (never the URL or a
dcc.Store). The sign-in guard (chipao.web.auth) puts it on ``flask.g`` for each request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import flask
from sqlalchemy import Connection

from chipao.domain.scope import Scope
from queries.db import database, scoped_read, wal_position


class NotSignedIn(PermissionError):
    """No scope for this request: the guard did not admit it (or no request at all)."""


def current_scope() -> Scope:
    """The scope of this request's user, as set by the guard: the user's role and areas,
    or the public scope for an anonymous visitor admitted under public aggregates.

    Strict: without a scope (outside a request, or a route the guard never saw) this
    raises instead of guessing, so nothing is ever served under a default scope."""
    try:
        scope = flask.g.get("scope")
    except RuntimeError:  # outside an application context
        raise NotSignedIn("no request: pass a Scope explicitly") from None
    if not isinstance(scope, Scope):
        raise NotSignedIn("this request has no signed-in scope")
    return scope


# ── reads from replicas, and the user's own writes ────────────────────────────
WROTE_AT = "wlsn"  # session key: the primary's WAL position after this user's last write


def note_write() -> None:
    """Call after a committed write the user will want to see at once (a plan item just
    saved): until a replica has replayed past it, this user's reads go to the primary,
    whichever worker serves them (the position travels in the session)."""
    if database().read_urls:
        flask.session[WROTE_AT] = wal_position()


@contextmanager
def read_scoped(scope: Scope | None = None) -> Iterator[Connection]:
    """A read-only transaction for a dashboard read in the user's scope: a replica when
    configured and caught up with the user's own last write, else the primary."""
    scope = scope or current_scope()
    try:
        min_lsn = flask.session.get(WROTE_AT)
    except RuntimeError:  # outside a request (a background job)
        min_lsn = None
    with scoped_read(scope, min_lsn if isinstance(min_lsn, str) else None) as conn:
        yield conn
