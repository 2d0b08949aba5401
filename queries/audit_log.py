"""Reading the audit log (administrators only): filter by user, action and dates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, DateTime, Select, cast, column, func, select, table, text

from chipao.domain.scope import Role, Scope

TIMEZONE = "Asia/Bangkok"  # dates in the filter are Thai calendar days
EXPORT_LIMIT = 100_000
COLUMNS = ("at", "username", "role", "action", "target", "details", "ip", "user_agent",
           "scope", "rows")


@dataclass(frozen=True)
class AuditFilter:
    username: str | None = None  # prefix of the username
    action: str | None = None  # exact action
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive

    def as_dict(self) -> dict:
        return {"username": self.username, "action": self.action,
                "date_from": self.date_from, "date_to": self.date_to}


def _require_admin(scope: Scope) -> None:
    if scope.role not in (Role.ADMIN, Role.SYSTEM):
        raise PermissionError("the audit log is for administrators")


_log = table("audit_log", *(column(c) for c in
                            ("audit_id", "at", "username", "role", "action", "target",
                             "details", "ip", "user_agent", "scope", "rows")))


def _conditions(f: AuditFilter) -> list:
    """Core expressions with bound values (no SQL text is built from input)."""
    c = _log.c
    conds = []
    if f.username:
        conds.append(func.starts_with(c.username, f.username.strip().lower()))
    if f.action:
        conds.append(c.action == f.action)
    if f.date_from:
        conds.append(c.at >= func.timezone(TIMEZONE, cast(f.date_from, DateTime)))
    if f.date_to:
        conds.append(c.at < func.timezone(TIMEZONE, cast(f.date_to + timedelta(days=1),
                                                         DateTime)))
    return conds


def _select(f: AuditFilter) -> Select:
    c = _log.c
    return (select(c.audit_id, func.timezone(TIMEZONE, c.at).label("at"), c.username, c.role,
                   c.action, c.target, c.details, c.ip, c.user_agent, c.scope, c.rows)
            .where(*_conditions(f)).order_by(c.audit_id.desc()))


def search(conn: Connection, scope: Scope, f: AuditFilter, limit: int = 200,
           offset: int = 0) -> list[dict]:
    """The newest matching entries first."""
    _require_admin(scope)
    rows = conn.execute(_select(f).limit(limit).offset(offset)).mappings()
    return [dict(r) for r in rows]


def count(conn: Connection, scope: Scope, f: AuditFilter) -> int:
    _require_admin(scope)
    return conn.execute(select(func.count()).select_from(_log)
                        .where(*_conditions(f))).scalar_one()


def export(conn: Connection, scope: Scope, f: AuditFilter) -> Iterator[dict]:
    """Every matching entry (up to EXPORT_LIMIT), streamed."""
    _require_admin(scope)
    # yield_per on the statement only: the connection goes on to write the audit row
    result = conn.execute(_select(f).limit(EXPORT_LIMIT).execution_options(yield_per=5000)
                          ).mappings()
    for r in result:
        yield dict(r)


def actions(conn: Connection, scope: Scope) -> list[str]:
    """The actions present in the log (for the filter's choices)."""
    _require_admin(scope)
    return list(conn.execute(text("SELECT DISTINCT action FROM audit_log ORDER BY action"))
                .scalars())
