"""P-codes, the one home of their rules: "TH" is Thailand (level 0), two more digits per
level — province TH50 (1), district TH5001 (2), tambon TH500101 (3). ASCII digits only
(as the database's row-level security checks them, migration 0008)."""

from __future__ import annotations

import re

LEVELS = (1, 2, 3)
LEVEL_NAMES = {1: "province", 2: "district", 3: "tambon"}
PCODE_LENGTH = {0: 2, 1: 4, 2: 6, 3: 8}  # level -> length of its P-code

AREA_PATTERN = r"TH(?:[0-9]{2}){1,3}"  # a province, district or tambon
TAMBON_PATTERN = r"TH[0-9]{6}"
AREA_RE = re.compile(rf"^{AREA_PATTERN}$")
PARENT_RE = re.compile(r"^TH[0-9]{2}(?:[0-9]{2})?$")  # a province or a district
DISTRICT_OR_TAMBON_RE = re.compile(r"^TH[0-9]{4}(?:[0-9]{2})?$")
TAMBON_RE = re.compile(rf"^{TAMBON_PATTERN}$")


def pcode_level(pcode: str | None) -> int:
    """0 for Thailand (None or 'TH'), else 1..3 from the P-code's length."""
    return 0 if not pcode or pcode == "TH" else (len(pcode) - 2) // 2


def ancestors_of(pcode: str, include_self: bool = False) -> list[str]:
    """The province and district P-codes above `pcode` (and itself if asked)."""
    return [pcode[:n] for n in range(4, len(pcode) + (1 if include_self else 0), 2)]
