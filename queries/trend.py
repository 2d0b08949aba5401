"""The trend of an area over every survey round the store holds (the overview, the
map's area profile and their downloads): households surveyed and their members,
MPI-poor households by TPMAP's rule and their members, target poor, and
Alkire–Foster H, A and M0 at k.

Each round's figures are mpi.area_profile's (the same SQL, the same suppression for
public viewers), so the trend never disagrees with the panel beside it."""

from __future__ import annotations

from sqlalchemy import Connection

from chipao.domain.catalogue import Catalogue
from chipao.domain.scope import Scope
from queries import mpi
from queries.rounds import SurveyRound, list_rounds

# the figures of a trend row, in the order tables and downloads show them
FIGURES = ("surveyed", "people", "poor", "poor_share", "poor_people", "target_poor",
           "H", "A", "M0")


def area_trend(conn: Connection, scope: Scope, catalogue: Catalogue, pcode: str, *,
               k: float = 1 / 3, rounds: list[SurveyRound] | None = None) -> list[dict]:
    """One row per round (oldest first) in which the area has households surveyed:
    {year, round_id, surveyed, people, poor, poor_share, poor_people, target_poor, H, A,
    M0}. Counts a public viewer may not see are None. [] for an unknown area."""
    out = []
    for r in sorted(rounds if rounds is not None else list_rounds(conn),
                    key=lambda r: r.year_be):
        p = mpi.area_profile(conn, scope, catalogue, pcode, round_id=r.round_id,
                             previous_round_id=None, k=k)
        if p is None:
            return []
        if not p["surveyed"] and not p["insufficient"]:
            continue  # no survey of this area in that round (a suppressed count stays)
        out.append({"year": r.year_be, "round_id": r.round_id,
                    "surveyed": p["surveyed"], "people": p["people"], "poor": p["poor"],
                    "poor_share": p["poor_share"], "poor_people": p["poor_people"],
                    "target_poor": p["target_poor"],
                    "H": p["af"]["H"], "A": p["af"]["A"], "M0": p["af"]["M0"]})
    return out
