"""Revealing personal identifiers on a stated, audited reason (masking: chipao.domain.privacy).

National IDs always show their last 4 digits only; names show in full to the roles
that may see household records and as initials otherwise. A record role can reveal a
household's full identifiers ("break the glass") by giving a reason: each reveal is
one `reveal_identifier` audit row, written in the same transaction as the read.
"""

from __future__ import annotations

from sqlalchemy import Connection

from chipao.domain.privacy import MAX_REASON, MIN_REASON, RevealRefused, may_reveal
from chipao.domain.scope import Scope
from queries import audit
from queries.db import scoped
from queries.households_privacy import household_tambon, member_identifiers


def reveal(conn: Connection, scope: Scope, house_id: str, reason: str,
           ip: str | None = None) -> dict:
    """Full names and national IDs of a household's members, audited with the reason.

    Raises RevealRefused for a role that may not see records, a missing or too short
    reason, or a household outside the user's areas (which is indistinguishable from
    one that does not exist); refusals are audited too, in a transaction of their own
    so they stay logged when the caller's transaction rolls back."""
    reason = (reason or "").strip()
    problem = None
    if not may_reveal(scope):
        problem = "role"
    elif len(reason) < MIN_REASON:
        problem = "reason"
    else:
        tambon = household_tambon(conn, scope, house_id)
        if tambon is None or not scope.covers(tambon):
            problem = "scope"
    if problem:
        with scoped(scope) as log_conn:
            audit.record(log_conn, scope, "reveal_refused", house_id,
                         {"problem": problem, "reason": reason[:MAX_REASON]}, ip)
        raise RevealRefused({
            "role": "ไม่มีสิทธิ์ดูข้อมูลระบุตัวตน / Your role may not reveal identifiers",
            "reason": (f"กรุณาระบุเหตุผลอย่างน้อย {MIN_REASON} ตัวอักษร / "
                       f"State a reason of at least {MIN_REASON} characters"),
            "scope": "ไม่พบครัวเรือนในพื้นที่ของท่าน / No such household in your areas",
        }[problem])
    members = member_identifiers(conn, scope, house_id)
    audit.record(conn, scope, "reveal_identifier", house_id,
                 {"reason": reason[:MAX_REASON], "members": len(members)}, ip,
                 rows=len(members))
    return {"house_id": house_id, "reason": reason[:MAX_REASON], "members": members}
