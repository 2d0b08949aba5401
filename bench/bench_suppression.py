"""Complementary suppression of the stored counts (queries/suppression.py::refresh's
pattern step): the set-based pass against the one-equation-at-a-time loop it replaced,
side by side on the same rows of the local store, interleaved, medians of --runs.

    .venv/bin/python bench/bench_suppression.py --households 20000

Loads the demo (with --households) when the store holds no households. Both passes
must give patterns that leave no margin equation with exactly one hidden cell; the
report gives their sizes (the set-based pass may hide slightly different cells)."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def baseline_complementary(counts: dict, primary) -> set[str]:
    """The loop the set-based pass replaced (kept here as the baseline)."""
    from queries.suppression import parent_of

    children: dict[str, list[str]] = defaultdict(list)
    for pcode in counts:
        parent = parent_of(pcode)
        if parent is not None:
            children[parent].append(pcode)
    for kids in children.values():
        kids.sort(key=lambda p: (counts.get(p, 0), p))
    hidden = set(primary)
    pending = list(children)
    while pending:
        parent = pending.pop()
        kids = children.get(parent)
        if not kids:
            continue
        if (parent in hidden) + sum(k in hidden for k in kids) != 1:
            continue
        pick = next((k for k in kids if k not in hidden and counts.get(k, 0) > 0), None)
        if pick is None and parent not in hidden:
            pick = parent
        if pick is None:
            pick = next(k for k in kids if k not in hidden)
        hidden.add(pick)
        pending.append(parent)
        if pick == parent:
            up = parent_of(parent)
            if up is not None:
                pending.append(up)
        elif pick in children:
            pending.append(pick)
    return hidden


def baseline_refresh(conn) -> int:
    """The replaced refresh: rows into dicts, the loop per measure, one INSERT."""
    from sqlalchemy import text

    from queries.suppression import COUNTRY, is_primary, threshold

    limit = threshold()
    conn.execute(text("DELETE FROM agg_area_suppressed"))
    by: dict[tuple, dict[str, int]] = defaultdict(dict)
    for r, m, p, n in conn.execute(text(
            "SELECT round_id, measure, pcode, households FROM agg_area_count")):
        by[(r, m)][p] = n
    out = []
    for (r, m), counts in by.items():
        surveyed = by.get((r, "surveyed"), {})
        primary = {p for p, n in counts.items() if is_primary(n, surveyed.get(p, 0), limit)}
        for p in baseline_complementary(counts, primary):
            out.append({"r": r, "l": 0 if p == COUNTRY else (len(p) - 2) // 2, "m": m, "p": p,
                        "pri": p in primary})
    conn.execute(text(
        "INSERT INTO agg_area_suppressed (round_id, level, measure, pcode, is_primary) "
        "SELECT * FROM unnest(CAST(:r AS smallint[]), CAST(:l AS smallint[]), "
        "CAST(:m AS text[]), CAST(:p AS text[]), CAST(:pri AS boolean[]))"),
        {k: [o[k] for o in out] for k in ("r", "l", "m", "p", "pri")})
    return len(out)


def set_based_refresh(conn) -> int:
    from sqlalchemy import text

    from queries import suppression

    suppression.refresh(conn)
    return conn.execute(text("SELECT count(*) FROM agg_area_suppressed")).scalar()


def _margins_ok(conn) -> bool:
    """No margin equation with exactly one hidden cell (the pattern's safety)."""
    from sqlalchemy import text

    return not conn.execute(text("""
        WITH cells AS (
            SELECT c.round_id, c.measure, c.pcode,
                   CASE WHEN length(c.pcode) = 4 THEN 'TH' WHEN c.pcode = 'TH' THEN NULL
                        ELSE left(c.pcode, length(c.pcode) - 2) END AS parent,
                   s.pcode IS NOT NULL AS hidden
            FROM agg_area_count c
            LEFT JOIN agg_area_suppressed s USING (round_id, measure, pcode))
        SELECT 1 FROM cells k JOIN cells p ON p.round_id = k.round_id
             AND p.measure = k.measure AND p.pcode = k.parent
        GROUP BY k.round_id, k.measure, k.parent, p.hidden
        HAVING count(*) FILTER (WHERE k.hidden) + p.hidden::int = 1
        LIMIT 1""")).first()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from bench.common import use_local_store

    use_local_store()
    from sqlalchemy import text

    from queries.db import owner, owner_engine

    with owner() as conn:
        n = conn.execute(text("SELECT count(*) FROM household")).scalar()
    if not n:
        import subprocess

        subprocess.run([sys.executable, "-m", "chipao", "demo", "--households",
                        str(args.households)], check=True)
    with owner() as conn:
        n = conn.execute(text("SELECT count(*) FROM household")).scalar()
        cells = conn.execute(text("SELECT count(*) FROM agg_area_count")).scalar()
    times: dict[str, list[float]] = {"baseline": [], "set_based": []}
    hidden, safe = {}, {}
    for _ in range(args.runs):
        for name, fn in (("baseline", baseline_refresh), ("set_based", set_based_refresh)):
            with owner_engine().connect() as conn:
                tx = conn.begin()
                started = time.perf_counter()
                hidden[name] = fn(conn)
                times[name].append(time.perf_counter() - started)
                safe[name] = _margins_ok(conn)
                tx.rollback()  # the store keeps its own pattern
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"households {n:,}; cells {cells:,}; runs {args.runs} (interleaved)")
    for name in times:
        print(f"  {name:10s} median {med[name]:7.2f} s  hidden cells {hidden[name]:,}  "
              f"no equation with one hidden cell: {safe[name]}")
    print(f"  ratio baseline / set-based: {med['baseline'] / med['set_based']:.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
