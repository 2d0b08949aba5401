"""Personal identifiers, masked by default: national IDs show their last 4 digits only;
names show in full to the roles that may see household records and as initials
otherwise. Revealing them (audited) is chipao.web.privacy.reveal."""

from __future__ import annotations

import re

from chipao.domain.scope import Scope

MASK = "•"
MIN_REASON = 5  # characters: "เยี่ยมบ้าน" (home visit) is 10
MAX_REASON = 500


class RevealRefused(PermissionError):
    """The reveal is not allowed (role, scope or missing reason); the message says why."""


def mask_national_id(national_id: str | None) -> str:
    """'1234567890123' → '•••••••••0123'; empty for a missing ID."""
    digits = re.sub(r"\D", "", national_id or "")
    if not digits:
        return ""
    return MASK * max(len(digits) - 4, 0) + digits[-4:]


def _initial(name: str | None) -> str:
    name = (name or "").strip()
    return f"{name[0]}…" if name else ""


def mask_name(first: str | None, last: str | None, scope: Scope) -> str:
    """The full name for roles that may see names; initials ('ส… ร…') for the others."""
    if scope.may_see_names:
        return f"{(first or '').strip()} {(last or '').strip()}".strip()
    return f"{_initial(first)} {_initial(last)}".strip()


def may_reveal(scope: Scope) -> bool:
    return scope.may_see_records
