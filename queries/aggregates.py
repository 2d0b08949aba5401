"""Rebuild the aggregate tables that every map and overview figure reads.

Aggregates hold counts only, no personal data. They are rebuilt inside the
importing transaction, so readers see either the old or the new figures, never a
mix (MVCC). Counts are computed once per tambon from ``household_round`` and then
rolled up to districts, provinces and the country (level 0, P-code 'TH'): P-codes
are prefixes of their parents', so a roll-up is ``left(pcode, n)``.
"""

from __future__ import annotations

import time
from collections.abc import Collection

from sqlalchemy import Connection, text

from queries import rollup, suppression
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


def refresh_counts(conn: Connection, incremental: bool = False) -> None:
    dims, inds = catalogue_bits(conn)
    measures = _count_measures(dims, inds)
    filters = ",\n".join(
        f"coalesce({cond}, 0) AS c{i}" if cond.startswith("sum(")
        else f"count(*) FILTER (WHERE {cond}) AS c{i}" for i, (_, cond) in enumerate(measures)
    )
    names = ", ".join(f"'{name}'" for name, _ in measures)
    values = ", ".join(f"c{i}" for i in range(len(measures)))
    rollup.clear(conn, "agg_area_count", incremental)
    # Measure names and filters come from the catalogue's codes, checked by the schema.
    conn.execute(text(sql("aggregates/tambon_counts").format(
        filters=filters, names=names, values=values,
        where=rollup.tambon_filter(incremental, "r.tambon_pcode"))))
    rollup.roll_up(conn, "agg_area_count", ["round_id", "measure"], ["households"],
                   ["sum(households)"], incremental)


def refresh_scores(conn: Connection, incremental: bool = False) -> None:
    _, inds = catalogue_bits(conn)
    n_bits = max((bit for _, bit in inds), default=-1) + 1
    per_bit = ", ".join(f"count(*) FILTER (WHERE failed & {1 << b} <> 0)" for b in range(n_bits))
    sums = ", ".join(f"sum(ind_fail[{b + 1}])" for b in range(n_bits))
    rollup.clear(conn, "agg_area_score", incremental)
    conn.execute(text(f"""
        INSERT INTO agg_area_score (round_id, level, pcode, score, households, ind_fail)
        SELECT round_id, 3, tambon_pcode, score, count(*), ARRAY[{per_bit}]::int[]
        FROM household_round WHERE {rollup.tambon_filter(incremental)}
        GROUP BY round_id, tambon_pcode, score
    """))  # noqa: S608
    rollup.roll_up(conn, "agg_area_score", ["round_id", "score"], ["households", "ind_fail"],
                   ["sum(households)", f"ARRAY[{sums}]::int[]"], incremental)


INCREMENTAL_MAX_SHARE = 0.5  # more tambons touched than this share: rebuild them all


def refresh(conn: Connection, tambons: Collection[str] | None = None,
            timings: dict[str, float] | None = None) -> int | None:
    """Rebuild the aggregate tables (call inside the importing transaction). Returns
    how many tambons were rebuilt, None for all; `timings` gets the seconds per part.

    `tambons`: only what an import of households in these tambons changed — their
    counts, scores and coverage and those of the areas above them (a house never moves
    tambon by import, so no other tambon's figures change, the previous round's
    comparison included). More than INCREMENTAL_MAX_SHARE of all tambons: everything
    (as fast, and simpler). The suppression pattern is recomputed whole from the counts
    (a cell hidden to protect a sibling may lie anywhere in the province); of the plan
    aggregates, those that count households (queries.plans.refresh_plans)."""
    incremental = tambons is not None
    n = 0
    if incremental:
        all_tambons = conn.execute(text("SELECT count(*) FROM area WHERE level = 3")).scalar_one()
        n = rollup.touch(conn, tambons)
        if n == 0:
            return 0
        incremental = n <= INCREMENTAL_MAX_SHARE * all_tambons
    spent = timings if timings is not None else {}
    parts = [("counts", lambda: refresh_counts(conn, incremental)),
             ("suppression", lambda: suppression.refresh(conn)),  # from the counts just made
             ("scores", lambda: refresh_scores(conn, incremental)),
             ("plans", lambda: refresh_plans(conn, incremental=incremental)),
             ("coverage", lambda: refresh_coverage(conn, incremental)),  # issue 6
             ("analyze", lambda: conn.execute(text("ANALYZE agg_area_count, agg_area_score")))]
    for name, part in parts:
        started = time.perf_counter()
        part()
        spent[name] = time.perf_counter() - started
    return n if incremental else None
