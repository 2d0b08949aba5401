"""Sessions that row-level security trusts (migration 0008b): the database keeps the
SHA-256 of a random token with its user (or, for a system scope, its role and areas),
expiry and revocation; a transaction shows personal rows only after
`set_config('chipao.session', token, true)` with a valid token.

Opening a session needs the owner role (the dashboard's role cannot, so SQL injection
through it cannot make itself a scope); the dashboard's role may ask whose session a
token is and end it (sign-out)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Connection, text

from chipao.domain.scope import Role, Scope

_INSERT = text("""
    INSERT INTO app_session (token_hash, user_id, username, role, areas, expires_at)
    VALUES (sha256(convert_to(:t, 'UTF8')), :uid, :u, :r, CAST(:a AS text[]),
            now() + make_interval(secs => :secs))
""")


def open_session(conn: Connection, scope: Scope, *, user_id: int | None, username: str,
                 role: Role, areas: tuple[str, ...] = (), lifetime: timedelta) -> str:
    """A new session token (owner connection): for a user (their current areas apply)
    or, with user_id None, for a system scope with these areas. Shown once: only its
    hash is stored."""
    if scope.role != Role.SYSTEM:
        raise PermissionError("sessions are opened by the owner role only")
    token = secrets.token_urlsafe(32)
    conn.execute(_INSERT, {"t": token, "uid": user_id, "u": username, "r": str(role),
                           "a": list(areas), "secs": lifetime.total_seconds()})
    return token


def purge_expired(conn: Connection, scope: Scope) -> int:
    """Forget sessions that ended more than a day ago (owner connection)."""
    if scope.role != Role.SYSTEM:
        raise PermissionError("owner role only")
    return conn.execute(text(
        "DELETE FROM app_session WHERE expires_at < now() - interval '1 day' "
        "OR revoked_at < now() - interval '1 day'")).rowcount


def revoke_user_sessions(conn: Connection, scope: Scope, username: str) -> int:
    """End every session of a user (owner connection: password reset, disabling)."""
    if scope.role != Role.SYSTEM:
        raise PermissionError("owner role only")
    return conn.execute(text(
        "UPDATE app_session s SET revoked_at = now() FROM app_user u "
        "WHERE s.user_id = u.user_id AND u.username = :u AND s.revoked_at IS NULL"),
        {"u": username}).rowcount


def session_user(conn: Connection) -> int | None:
    """The user id of this transaction's session token, if it is valid."""
    return conn.execute(text("SELECT chipao_session_user()")).scalar()


def end_session(conn: Connection, everywhere: bool = False) -> int:
    """End this transaction's session (or every session of its user)."""
    return conn.execute(text("SELECT chipao_session_end(:e)"), {"e": everywhere}).scalar_one()
