"""Users, their area scopes, sign-in bookkeeping (failures, lockout, session version).

Administration (create, reset, disable) needs the owner role: the dashboard's role
may only update the sign-in columns (failed_logins, locked_until, session_version,
last_login_at), so a compromised dashboard cannot grant itself a wider scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from chipao.domain.scope import Role, Scope
from queries.sessions import revoke_user_sessions

# Which level of area each role is scoped to (None: no area, the role is national).
ROLE_AREA_LEVEL: dict[Role, int | None] = {
    Role.EXECUTIVE: None, Role.PUBLIC: None, Role.ADMIN: None,
    Role.PROVINCE: 1, Role.DISTRICT: 2, Role.TAMBON: 3,
}
USER_ROLES = tuple(ROLE_AREA_LEVEL)
USERNAME_RE = re.compile(r"[a-z0-9_.-]{3,40}")

_COLUMNS = """
    u.user_id, u.username, u.display_name, u.role, u.disabled, u.is_demo,
    u.failed_logins, u.locked_until, u.session_version, u.last_login_at, u.created_at,
    coalesce(array_agg(s.pcode ORDER BY s.pcode) FILTER (WHERE s.pcode IS NOT NULL), '{}') AS areas,
    coalesce(array_agg(a.name_th ORDER BY s.pcode) FILTER (WHERE s.pcode IS NOT NULL), '{}') AS names_th,
    coalesce(array_agg(a.name_en ORDER BY s.pcode) FILTER (WHERE s.pcode IS NOT NULL), '{}') AS names_en
"""
_FROM = """
    FROM app_user u
    LEFT JOIN user_scope s ON s.user_id = u.user_id
    LEFT JOIN area a ON a.pcode = s.pcode
"""
_GROUP = " GROUP BY u.user_id"


@dataclass(frozen=True)
class UserRecord:
    user_id: int
    username: str
    display_name: str
    role: Role
    disabled: bool
    is_demo: bool
    failed_logins: int
    locked_until: datetime | None
    session_version: int
    last_login_at: datetime | None
    created_at: datetime
    areas: tuple[str, ...]
    names_th: tuple[str, ...]
    names_en: tuple[str, ...]

    def scope(self) -> Scope:
        """The query scope this user acts with (built from the store, never the client)."""
        return Scope(self.username, self.role, self.areas)


def _record(row) -> UserRecord:
    m = dict(row)
    m["role"] = Role(m["role"])
    for k in ("areas", "names_th", "names_en"):
        m[k] = tuple(m[k])
    return UserRecord(**m)


def _require_admin(scope: Scope) -> None:
    if scope.role not in (Role.SYSTEM, Role.ADMIN):
        raise PermissionError("user administration needs the administrator role")


def _require_system(scope: Scope) -> None:
    if scope.role != Role.SYSTEM:
        raise PermissionError("this change runs from the command line (owner role) only")


# ── sign-in (the dashboard's role; `scope` is whoever is asking, usually anonymous) ──
def get_user(conn: Connection, scope: Scope, user_id: int) -> UserRecord | None:
    row = conn.execute(text(f"SELECT {_COLUMNS} {_FROM} WHERE u.user_id = :id {_GROUP}"),
                       {"id": user_id}).mappings().first()
    return _record(row) if row else None


def get_user_by_name(conn: Connection, scope: Scope, username: str) -> UserRecord | None:
    row = conn.execute(text(f"SELECT {_COLUMNS} {_FROM} WHERE u.username = :u {_GROUP}"),
                       {"u": username}).mappings().first()
    return _record(row) if row else None


def password_hash(conn: Connection, scope: Scope, user_id: int) -> str | None:
    """The stored hash (owner role only: chipao_app has no SELECT on the column)."""
    _require_system(scope)
    return conn.execute(text("SELECT password_hash FROM app_user WHERE user_id = :id"),
                        {"id": user_id}).scalar_one_or_none()


def is_locked(conn: Connection, scope: Scope, user_id: int) -> bool:
    return bool(conn.execute(
        text("SELECT locked_until IS NOT NULL AND locked_until > now() FROM app_user "
             "WHERE user_id = :id"), {"id": user_id}).scalar())


def record_failure(conn: Connection, scope: Scope, user_id: int, max_failures: int,
                   lock_minutes: int) -> tuple[int, datetime | None]:
    """Count one failed sign-in; the `max_failures`-th in a row locks the account.

    One atomic UPDATE, so concurrent guesses cannot slip past the count. After a lock
    has expired the count starts again from one. Returns (failures, locked_until).
    """
    row = conn.execute(text("""
        WITH cur AS (
            SELECT user_id,
                   CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1
                        ELSE failed_logins + 1 END AS n
            FROM app_user WHERE user_id = :id
        )
        UPDATE app_user u
        SET failed_logins = cur.n,
            locked_until = CASE WHEN cur.n >= :max THEN now() + make_interval(mins => :mins)
                                WHEN u.locked_until > now() THEN u.locked_until
                                ELSE NULL END
        FROM cur WHERE u.user_id = cur.user_id
        RETURNING u.failed_logins, u.locked_until
    """), {"id": user_id, "max": max_failures, "mins": lock_minutes}).first()
    return (row[0], row[1]) if row else (0, None)


def record_success(conn: Connection, scope: Scope, user_id: int) -> None:
    conn.execute(text("UPDATE app_user SET failed_logins = 0, locked_until = NULL, "
                      "last_login_at = now() WHERE user_id = :id"), {"id": user_id})


def bump_session_version(conn: Connection, scope: Scope, user_id: int) -> int:
    """End every session of this user (signed cookies carry the version they began with)."""
    return conn.execute(text("UPDATE app_user SET session_version = session_version + 1 "
                             "WHERE user_id = :id RETURNING session_version"),
                        {"id": user_id}).scalar_one()


# ── administration ───────────────────────────────────────────────────────────
def list_users(conn: Connection, scope: Scope) -> list[UserRecord]:
    _require_admin(scope)
    rows = conn.execute(text(f"SELECT {_COLUMNS} {_FROM} {_GROUP} ORDER BY u.username")).mappings()
    return [_record(r) for r in rows]


def check_areas(conn: Connection, scope: Scope, role: Role, areas: tuple[str, ...]) -> None:
    """Raise ValueError unless the areas suit the role (right level, known P-codes)."""
    level = ROLE_AREA_LEVEL.get(role)
    if role not in ROLE_AREA_LEVEL:
        raise ValueError(f"unknown role {role!r}; choose from {', '.join(USER_ROLES)}")
    if level is None:
        if areas:
            raise ValueError(f"role {role} is national: it takes no --area")
        return
    if not areas:
        raise ValueError(f"role {role} needs at least one --area P-code")
    found = dict(conn.execute(text("SELECT pcode, level FROM area WHERE pcode = ANY(:p)"),
                              {"p": list(areas)}).all())
    for pcode in areas:
        if pcode not in found:
            raise ValueError(f"unknown area P-code {pcode!r} (import the boundaries first?)")
        if found[pcode] != level:
            kind = {1: "province", 2: "district", 3: "tambon"}[level]
            raise ValueError(f"role {role} is scoped to a {kind}: {pcode} is not one")


def create_user(conn: Connection, scope: Scope, username: str, role: Role, password_hash: str,
                areas: tuple[str, ...] = (), display_name: str = "",
                is_demo: bool = False) -> int:
    """Insert a user with their areas; raises ValueError for a taken name or bad areas."""
    _require_system(scope)
    if not USERNAME_RE.fullmatch(username):
        raise ValueError(f"username {username!r}: 3–40 characters of a-z 0-9 _ . -")
    role = Role(role)
    areas = tuple(dict.fromkeys(areas))
    check_areas(conn, scope, role, areas)
    user_id = conn.execute(text("""
        INSERT INTO app_user (username, display_name, password_hash, role, is_demo)
        VALUES (:u, :n, :h, :r, :demo)
        ON CONFLICT (username) DO NOTHING
        RETURNING user_id
    """), {"u": username, "n": display_name, "h": password_hash, "r": str(role),
           "demo": is_demo}).scalar()
    if user_id is None:
        raise ValueError(f"user {username!r} already exists")
    if areas:
        conn.execute(text("INSERT INTO user_scope (user_id, pcode) "
                          "SELECT :id, unnest(CAST(:p AS text[]))"),
                     {"id": user_id, "p": list(areas)})
    return user_id


def set_password(conn: Connection, scope: Scope, username: str, password_hash: str) -> bool:
    """New password; unlocks the account and ends its sessions. False: no such user."""
    _require_system(scope)
    revoke_user_sessions(conn, scope, username)
    return conn.execute(text("""
        UPDATE app_user SET password_hash = :h, password_changed_at = now(), failed_logins = 0,
               locked_until = NULL, session_version = session_version + 1
        WHERE username = :u
    """), {"u": username, "h": password_hash}).rowcount == 1


def set_disabled(conn: Connection, scope: Scope, username: str, disabled: bool) -> bool:
    """Disable (ending every session at once) or enable an account. False: no such user."""
    _require_system(scope)
    if disabled:
        revoke_user_sessions(conn, scope, username)
    return conn.execute(text("""
        UPDATE app_user SET disabled = :d, failed_logins = 0, locked_until = NULL,
               session_version = session_version + CASE WHEN :d THEN 1 ELSE 0 END
        WHERE username = :u
    """), {"u": username, "d": disabled}).rowcount == 1


def delete_demo_users(conn: Connection, scope: Scope) -> list[str]:
    """Remove every demo account (their audit rows stay: the log is append-only)."""
    _require_system(scope)
    return list(conn.execute(text(
        "DELETE FROM app_user WHERE is_demo RETURNING username")).scalars())


def demo_usernames(conn: Connection, scope: Scope) -> list[str]:
    return list(conn.execute(text(
        "SELECT username FROM app_user WHERE is_demo ORDER BY username")).scalars())
