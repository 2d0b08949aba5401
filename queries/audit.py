"""The append-only audit log: who did what, when, to which household or filter.

Write it in the same transaction as the audited read or change, so a view that is
shown is always logged (and a failed change leaves no misleading entry).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from chipao.domain.scope import Scope


def record(conn: Connection, scope: Scope, action: str, target: str | None = None,
           details: dict[str, Any] | None = None, ip: str | None = None) -> None:
    """Append one audit row (actions: 'signin', 'signin_failed', 'household_view',
    'household_search', 'export', 'plan_item_update', 'reveal_identifier', 'refused', …)."""
    conn.execute(
        text("INSERT INTO audit_log (username, role, action, target, details, ip) "
             "VALUES (:u, :r, :a, :t, CAST(:d AS jsonb), :ip)"),
        {"u": scope.username, "r": str(scope.role), "a": action, "t": target,
         "d": json.dumps(details or {}, ensure_ascii=False, default=str), "ip": ip},
    )
