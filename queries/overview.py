"""Overview figures for the country or one area (a provincial or district user's own),
read from the aggregate tables (no personal data).

Public viewers get each count only where queries.suppression leaves it visible (small
counts and their complementary cells are hidden); rates and changes follow their
counts."""

from __future__ import annotations

from sqlalchemy import Connection, text

from chipao.domain.pcodes import pcode_level
from chipao.domain.scope import Scope
from queries import suppression as sdc

COUNTRY = "TH"


def national_counts(conn: Connection, scope: Scope, round_id: int,
                    area: str = COUNTRY) -> dict[str, int | None]:
    """Every stored measure for the country (or `area`) in one round: {measure: households}."""
    rows = conn.execute(
        text("SELECT measure, households FROM agg_area_count "
             "WHERE round_id = :r AND level = :level AND pcode = :area"),
        {"r": round_id, "level": pcode_level(area), "area": area},
    )
    cells = sdc.hidden_cells(conn, scope, round_id)
    return {m: sdc.visible(n, cells, m, area) for m, n in rows}


def dimension_counts(conn: Connection, scope: Scope, round_id: int,
                     area: str = COUNTRY) -> list[dict]:
    """Deprived households per dimension (TPMAP rule) for the country (or `area`)."""
    rows = conn.execute(
        text("""
            SELECT d.code, d.name_th, d.name_en, c.households AS deprived, s.households AS surveyed
            FROM dimension d
            LEFT JOIN agg_area_count c ON c.round_id = :r AND c.level = :level
                 AND c.pcode = :area AND c.measure = 'dim:' || d.code
            LEFT JOIN agg_area_count s ON s.round_id = :r AND s.level = :level
                 AND s.pcode = :area AND s.measure = 'surveyed'
            ORDER BY d.sort
        """),
        {"r": round_id, "level": pcode_level(area), "area": area},
    ).mappings()
    cells = sdc.hidden_cells(conn, scope, round_id)
    return [
        {**r, "deprived": sdc.visible(r["deprived"], cells, f"dim:{r['code']}", area),
         "surveyed": sdc.visible(r["surveyed"], cells, "surveyed", area),
         "share": sdc.rate(r["deprived"], r["surveyed"], cells, f"dim:{r['code']}", area)}
        for r in rows
    ]


def top_provinces(conn: Connection, scope: Scope, round_id: int, previous_round_id: int | None,
                  limit: int = 10, parent: str = COUNTRY) -> list[dict]:
    """Provinces (or the districts or tambons inside `parent`) with the most poor
    households, with their share and change since the previous round (a change only
    where both rounds' counts are visible)."""
    rows = conn.execute(
        text("""
            SELECT a.pcode, a.name_th, a.name_en, p.households AS poor, s.households AS surveyed,
                   pp.households AS poor_before, ps.households AS surveyed_before
            FROM agg_area_count p
            JOIN area a ON a.pcode = p.pcode
            JOIN agg_area_count s ON s.round_id = p.round_id AND s.level = :level
                 AND s.measure = 'surveyed' AND s.pcode = p.pcode
            LEFT JOIN agg_area_count pp ON pp.round_id = :prev AND pp.level = :level
                 AND pp.measure = 'poor' AND pp.pcode = p.pcode
            LEFT JOIN agg_area_count ps ON ps.round_id = :prev AND ps.level = :level
                 AND ps.measure = 'surveyed' AND ps.pcode = p.pcode
            WHERE p.round_id = :r AND p.level = :level AND p.measure = 'poor'
              AND p.pcode LIKE :within
            ORDER BY p.households DESC, a.pcode
            LIMIT :limit
        """),
        {"r": round_id, "prev": previous_round_id, "limit": limit,
         "level": pcode_level(parent) + 1, "within": "%" if parent == COUNTRY else parent + "%"},
    ).mappings()
    now = sdc.hidden_cells(conn, scope, round_id)
    then = sdc.hidden_cells(conn, scope, previous_round_id)
    out = []
    for rank, r in enumerate(rows, start=1):
        pcode = r["pcode"]
        poor = sdc.visible(r["poor"], now, "poor", pcode)
        before = sdc.visible(r["poor_before"], then, "poor", pcode)
        out.append({
            "rank": rank, "pcode": pcode, "name_th": r["name_th"], "name_en": r["name_en"],
            "poor": poor, "surveyed": sdc.visible(r["surveyed"], now, "surveyed", pcode),
            "share": sdc.rate(r["poor"], r["surveyed"], now, "poor", pcode),
            "change": None if poor is None or before is None else poor - before,
            "share_before": sdc.rate(r["poor_before"], r["surveyed_before"], then, "poor", pcode),
        })
    return out
