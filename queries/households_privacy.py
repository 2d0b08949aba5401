"""The SQL behind the break-the-glass reveal of personal identifiers (chipao.web.privacy).

Reads through the caller's scoped connection, so row-level security limits it to the
user's areas even if an application check were missing."""

from __future__ import annotations

from sqlalchemy import Connection, text

from chipao.domain.scope import Scope


def household_tambon(conn: Connection, scope: Scope, house_id: str) -> str | None:
    """The household's tambon, or None when it does not exist or is out of scope."""
    return conn.execute(text("SELECT tambon_pcode FROM household WHERE house_id = :h"),
                        {"h": house_id}).scalar_one_or_none()


def member_identifiers(conn: Connection, scope: Scope, house_id: str) -> list[dict]:
    """Every member's full name and national ID, in household order."""
    rows = conn.execute(text("""
        SELECT seq, first_name, last_name, national_id FROM member
        WHERE house_id = :h ORDER BY seq
    """), {"h": house_id}).mappings()
    return [dict(r) for r in rows]
