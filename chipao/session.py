"""The signed-in user's scope, from the server-side session only (never the URL or a
dcc.Store). The sign-in guard (chipao.auth) puts it on ``flask.g`` for each request."""

from __future__ import annotations

import flask

from queries.scope import PUBLIC, Scope


def current_scope() -> Scope:
    """The scope of this request's user; anonymous requests get the public scope
    (aggregates with small counts suppressed), if the guard let them through at all."""
    try:
        return getattr(flask.g, "scope", PUBLIC)
    except RuntimeError:  # outside a request context
        return PUBLIC
