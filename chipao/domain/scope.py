"""Who is asking, and what they may see: passed to every query function."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    EXECUTIVE = "executive"  # national aggregates, no personal data
    PROVINCE = "province"  # provincial committee: aggregates + records of its province
    DISTRICT = "district"  # district committee: aggregates + records of its district
    TAMBON = "tambon"  # tambon officer: records of its tambons, may update plans/visits
    PUBLIC = "public"  # aggregates only, small counts suppressed
    ADMIN = "admin"  # users, imports and the audit log; no household records
    SYSTEM = "system"  # command-line tools and tests run as the owner role


RECORD_ROLES = {Role.PROVINCE, Role.DISTRICT, Role.TAMBON}


@dataclass(frozen=True)
class Scope:
    username: str
    role: Role
    areas: tuple[str, ...] = ()  # P-codes whose subtree's household records are visible
    # The signed-in session's token, which the database verifies before it shows any
    # personal row (queries/sessions.py). Not part of equality or the cache key.
    session: str | None = field(default=None, repr=False, compare=False)

    @property
    def may_see_records(self) -> bool:
        return self.role in RECORD_ROLES and bool(self.areas)

    @property
    def may_update_plans(self) -> bool:
        return self.role == Role.TAMBON

    @property
    def may_see_names(self) -> bool:
        return self.role in RECORD_ROLES

    @property
    def suppress_small_counts(self) -> bool:
        return self.role == Role.PUBLIC

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def home_area(self) -> str | None:
        """The area a provincial, district or tambon user's pages open at by default:
        their own (the smallest province/district/tambon holding all their areas);
        None (the country) for everyone else. They may still zoom out."""
        if not self.may_see_records:
            return None
        common = os.path.commonprefix(list(self.areas))
        for length in (8, 6, 4):  # tambon, district, province P-codes
            if len(common) >= length:
                return common[:length]
        return None

    def covers(self, pcode: str) -> bool:
        """True when the area (or household's tambon) lies inside this scope."""
        return self.may_see_records and any(pcode.startswith(a) for a in self.areas)

    @property
    def cache_key(self) -> str:
        return f"{self.role}:{','.join(sorted(self.areas))}"


SYSTEM = Scope("system", Role.SYSTEM, ("TH",))
PUBLIC = Scope("anonymous", Role.PUBLIC)
