"""Rebuild the aggregate tables that every map and overview figure reads.

Aggregates hold counts only, no personal data. They are rebuilt inside the
importing transaction, so readers see either the old or the new figures, never a
mix (MVCC). Counts are computed once per tambon from ``household_round`` and then
rolled up to districts, provinces and the country (level 0, P-code 'TH'): P-codes
are prefixes of their parents', so a roll-up is ``left(pcode, n)``.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from chipao.domain.pcodes import PCODE_LENGTH
from queries import suppression
from queries.centres import refresh_coverage
from queries.plans import refresh_plans
from queries.sql import sql


def catalogue_bits(conn: Connection) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(dimension code, sort) and (indicator code, bit) pairs, from the stored catalogue."""
    dims = [tuple(r) for r in conn.execute(text("SELECT code, sort FROM dimension ORDER BY sort"))]
    inds = [tuple(r) for r in conn.execute(text("SELECT code, bit FROM indicator ORDER BY bit"))]
    return dims, inds


def _count_measures(dims, inds) -> list[tuple[str, str]]:
    """(measure name, SQL filter over household_round r — or a whole aggregate
    expression, for the counts of people) for every stored count."""
    measures = [
        ("surveyed", "true"),
        ("poor", "r.dims_failed <> 0"),
        ("target_poor", "r.dims_failed <> 0 AND r.welfare_card"),
        ("welfare_card", "r.welfare_card"),
        ("located", "h.location IS NOT NULL"),
        # relative to the previous round of the same household (p)
        ("left_poverty", "p.dims_failed <> 0 AND r.dims_failed = 0"),
        ("new_poor", "p.dims_failed = 0 AND r.dims_failed <> 0"),
        ("in_previous", "p.house_id IS NOT NULL"),
    ]
    # members of households (not households): the people behind a headline
    measures += [("people", "sum(r.size)"), ("poor_people", "sum(r.size) FILTER (WHERE r.dims_failed <> 0)"),
                 ("target_poor_people",
                  "sum(r.size) FILTER (WHERE r.dims_failed <> 0 AND r.welfare_card)")]
    measures += [(f"dim:{code}", f"r.dims_failed & {1 << sort} <> 0") for code, sort in dims]
    measures += [(f"ind:{code}", f"r.failed & {1 << bit} <> 0") for code, bit in inds]
    measures += [(f"na:{code}", f"r.not_applicable & {1 << bit} <> 0") for code, bit in inds]
    return measures


def refresh_counts(conn: Connection) -> None:
    dims, inds = catalogue_bits(conn)
    measures = _count_measures(dims, inds)
    filters = ",\n".join(
        f"coalesce({cond}, 0) AS c{i}" if cond.startswith("sum(")
        else f"count(*) FILTER (WHERE {cond}) AS c{i}" for i, (_, cond) in enumerate(measures)
    )
    names = ", ".join(f"'{name}'" for name, _ in measures)
    values = ", ".join(f"c{i}" for i in range(len(measures)))
    conn.execute(text("DELETE FROM agg_area_count"))
    # Measure names and filters come from the catalogue's codes, checked by the schema.
    conn.execute(text(sql("aggregates/tambon_counts").format(
        filters=filters, names=names, values=values)))
    for level in (2, 1, 0):
        conn.execute(
            text("""
                INSERT INTO agg_area_count (round_id, level, measure, pcode, households)
                SELECT round_id, :level, measure, left(pcode, :len), sum(households)
                FROM agg_area_count WHERE level = 3
                GROUP BY round_id, measure, left(pcode, :len)
            """),
            {"level": level, "len": PCODE_LENGTH[level]},
        )


def refresh_scores(conn: Connection) -> None:
    _, inds = catalogue_bits(conn)
    n_bits = max((bit for _, bit in inds), default=-1) + 1
    per_bit = ", ".join(f"count(*) FILTER (WHERE failed & {1 << b} <> 0)" for b in range(n_bits))
    sums = ", ".join(f"sum(ind_fail[{b + 1}])" for b in range(n_bits))
    conn.execute(text("DELETE FROM agg_area_score"))
    conn.execute(text(f"""
        INSERT INTO agg_area_score (round_id, level, pcode, score, households, ind_fail)
        SELECT round_id, 3, tambon_pcode, score, count(*), ARRAY[{per_bit}]::int[]
        FROM household_round GROUP BY round_id, tambon_pcode, score
    """))  # noqa: S608
    for level in (2, 1, 0):
        conn.execute(
            text(f"""
                INSERT INTO agg_area_score (round_id, level, pcode, score, households, ind_fail)
                SELECT round_id, :level, left(pcode, :len), score, sum(households),
                       ARRAY[{sums}]::int[]
                FROM agg_area_score WHERE level = 3
                GROUP BY round_id, left(pcode, :len), score
            """),  # noqa: S608
            {"level": level, "len": PCODE_LENGTH[level]},
        )


def refresh(conn: Connection) -> None:
    """Rebuild every aggregate table (call inside the importing transaction)."""
    refresh_counts(conn)
    suppression.refresh(conn)  # which public cells to hide, from the counts just made
    refresh_scores(conn)
    refresh_plans(conn)
    refresh_coverage(conn)  # nearest centres and coverage (issue 6)
    conn.execute(text("ANALYZE agg_area_count"))
    conn.execute(text("ANALYZE agg_area_score"))
