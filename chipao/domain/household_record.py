"""One household's record (the electronic family notebook) as queries.household_record
reads it, and the rules the notebook applies to it (indicator status, change between
rounds, leaving poverty)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chipao.domain.catalogue import Catalogue


@dataclass
class HouseholdRecord:
    house_id: str
    tambon_pcode: str
    village_no: int
    village_name: str | None
    lat: float | None
    lon: float | None
    programme_target: bool
    areas: list[dict]  # province, district, tambon: {pcode, level, name_th, name_en}
    rounds: list[dict]  # oldest first
    members: list[dict]
    plan_items: list[dict]  # urgent, medium, long
    visits: list[dict]  # newest first
    nearest_centre: dict | None
    tambon_outline: str | None  # GeoJSON geometry text
    catalogue: Catalogue = field(repr=False)

    @property
    def latest(self) -> dict | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def left_poverty(self) -> bool:
        """Meets every indicator in the latest round after failing some before."""
        return left_poverty(self.rounds)


def left_poverty(rounds: list[dict]) -> bool:
    if len(rounds) < 2 or rounds[-1]["failed"] != 0:
        return False
    return any(r["failed"] != 0 for r in rounds[:-1])


def indicator_status(round_row: dict, bit: int) -> str:
    """'failed', 'na' (not applicable) or 'met' for one indicator in one round."""
    if round_row["failed"] & (1 << bit):
        return "failed"
    if round_row["not_applicable"] & (1 << bit):
        return "na"
    return "met"


def change(before: str | None, now: str) -> str | None:
    """'improved', 'worsened', 'same' between two rounds (None without a previous)."""
    if before is None:
        return None
    if before == "failed" and now != "failed":
        return "improved"
    if now == "failed" and before != "failed":
        return "worsened"
    return "same"
