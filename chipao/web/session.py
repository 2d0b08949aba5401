"""The signed-in user's scope, from the server-side session only (never the URL or a
dcc.Store). The sign-in guard (chipao.web.auth) puts it on ``flask.g`` for each request."""

from __future__ import annotations

import flask

from chipao.domain.scope import Scope


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
