"""The append-only audit log: who did what, when, from where, to which household or
filter, and how many personal rows it served.

Write it in the same transaction as the audited read or change, so a view that is
shown is always logged (and a failed change leaves no misleading entry). Every row
carries the user, role, the areas they held (scope), time, IP address and user agent
(from the current web request when there is one), the action, its target and details,
and the number of rows served.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import Connection, text

from chipao.domain.scope import Scope

# PostgreSQL text and jsonb cannot hold NUL; other control characters would garble a
# log read on a terminal. Both are stored escaped (\x00), so a refusal whose payload
# carries them is still recorded.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
USER_AGENT_MAX = 300


def clean(value: Any) -> Any:
    """Strings (also inside lists and dicts, keys too) with control characters escaped."""
    if isinstance(value, str):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    if isinstance(value, dict):
        return {clean(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def request_context() -> tuple[str | None, str | None]:
    """(IP address, user agent) of the current web request; (None, None) outside one
    (command-line tools)."""
    try:
        import flask

        if not flask.has_request_context():
            return None, None
        req = flask.request
        agent = req.headers.get("User-Agent")
        return req.remote_addr, agent[:USER_AGENT_MAX] if agent else None
    except ImportError:  # pragma: no cover - flask is a dependency of the app
        return None, None


def record(conn: Connection, scope: Scope, action: str, target: str | None = None,
           details: dict[str, Any] | None = None, ip: str | None = None,
           rows: int | None = None) -> None:
    """Append one audit row (actions: 'signin', 'signin_failed', 'household_view',
    'household_list', 'household_search', 'export', 'plan_item_update',
    'reveal_identifier', 'refused', …). `rows`: personal rows served (a view: 1)."""
    req_ip, agent = request_context()
    conn.execute(
        text("INSERT INTO audit_log (username, role, action, target, details, ip, "
             "user_agent, scope, rows) "
             "VALUES (:u, :r, :a, :t, CAST(:d AS jsonb), :ip, :ua, :scope, :rows)"),
        {"u": clean(scope.username), "r": str(scope.role), "a": action, "t": clean(target),
         "d": json.dumps(clean(details or {}), ensure_ascii=False, default=str),
         "ip": clean(ip or req_ip), "ua": clean(agent),
         "scope": ",".join(scope.areas) or None, "rows": rows},
    )


def paging_rows(conn: Connection, scope: Scope, seconds: int) -> int:
    """Household rows served to this user by list paging in the last `seconds`, across
    every worker (read from the audit log itself, which records every block). Takes a
    per-user transaction lock first, so two concurrent blocks are counted one after
    the other."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('chipao.paging:' || :u))"),
                 {"u": scope.username})
    return int(conn.execute(text(
        "SELECT coalesce(sum(rows), 0) FROM audit_log WHERE username = :u "
        "AND action IN ('household_list', 'household_search') "
        "AND at > clock_timestamp() - make_interval(secs => :s)"),
        {"u": scope.username, "s": seconds}).scalar_one())
