"""Centre coverage benchmark (issue 6): the nearest-centre refresh, coverage figures
for any area at the database, and the "where to open next" planner.

    .venv/bin/python bench/bench_centres.py                       # the local store
    .venv/bin/python bench/bench_centres.py --households 4104450  # full scale
    .venv/bin/python bench/bench_centres.py --database chipao_bench_households

Without options it measures whatever the local store (DATABASE_URL, or the
project-managed PostGIS) holds. With --households N it uses a database of its own
(``chipao_bench_centres``) holding N demo households (real boundaries + ``chipao demo``),
loaded once and then reused; --database NAME measures another database of the local
cluster instead (the refresh rewrites its derived coverage tables, nothing else).
Targets: refresh of 4,104,450 households ≤ 120 s; coverage of any area ≤ 100 ms at the
database; planner N = 50 nationally ≤ 30 s. Prints Markdown; writes
.cache/bench_centres.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_demo, use_database, use_local_store  # noqa: E402

BENCH_DB = "chipao_bench_centres"
TARGETS = {"refresh_s": 120.0, "coverage_ms": 100.0, "planner_s": 30.0}


def _backend_cpu(conn) -> float | None:
    """CPU seconds used so far by this connection's server process (local cluster)."""
    from sqlalchemy import text

    pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ── the measurements ─────────────────────────────────────────────────────────
def measure_refresh() -> dict:
    from sqlalchemy import text

    from queries.centres import refresh_coverage
    from queries.db import owner

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with owner() as conn:
        cpu0 = _backend_cpu(conn)
        result = refresh_coverage(conn)
        cpu1 = _backend_cpu(conn)
        located = conn.execute(text(
            "SELECT count(*) FROM household WHERE location IS NOT NULL")).scalar_one()
    total = time.perf_counter() - started
    return {"households": result.households, "located": located,
            "exact_searches": result.exact_searches, "open_centres": result.open_centres,
            "refresh_s": round(result.seconds, 1), "with_commit_s": round(total, 1),
            "phases_s": result.phases,
            "backend_cpu_s": None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 1),
            "load_average_before": round(load_before, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
            "households_per_s": round(result.households / result.seconds)
            if result.seconds else None}


def _explain_ms(conn, sql: str, params: dict) -> float:
    from sqlalchemy import text

    plan = conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql), params).scalar_one()
    return float(plan[0]["Execution Time"])


def pick_areas(round_id: int) -> list[tuple[str, str]]:
    """The country, the largest province, district and tambon by poor households."""
    from sqlalchemy import text

    from queries.db import owner

    out = [("country", "TH")]
    with owner() as conn:
        for level, label in ((1, "largest province"), (2, "largest district"),
                             (3, "largest tambon")):
            pcode = conn.execute(text(
                "SELECT pcode FROM agg_centre_distance WHERE round_id = :r AND level = :l "
                "GROUP BY pcode ORDER BY sum(poor) DESC, pcode LIMIT 1"),
                {"r": round_id, "l": level}).scalar_one()
            out.append((label, pcode))
    return out


def measure_coverage(round_id: int, runs: int) -> list[dict]:
    """coverage_summary for each area and the gap rankings, timed in the app role and
    at the database (EXPLAIN ANALYZE of the same statement)."""
    from chipao.domain.pcodes import pcode_level
    from chipao.domain.scope import Role, Scope
    from queries import centres as q
    from queries.db import scoped

    scope = Scope("bench-executive", Role.EXECUTIVE)
    summary_sql = q.COVERAGE_SUMMARY_SQL
    rows = []
    for label, area in pick_areas(round_id):
        for d in (5, 10, 30):
            times = []
            for _ in range(runs):
                with scoped(scope) as conn:
                    t0 = time.perf_counter()
                    q.coverage_summary(conn, scope, round_id, area, d)
                    times.append((time.perf_counter() - t0) * 1000)
            with scoped(scope) as conn:
                db_ms = _explain_ms(conn, summary_sql, {"r": round_id, "level": pcode_level(area),
                                                        "area": area, "d": d})
            rows.append({"case": f"coverage, {label} {area}, {d} km",
                         "median_ms": round(statistics.median(times[1:] or times), 2),
                         "db_ms": round(db_ms, 2), "target_ms": TARGETS["coverage_ms"]})
    for label, level, parent in (("gap ranking, all 7,425 tambons", 3, "TH"),
                                 ("gap ranking, districts nationally", 2, "TH"),
                                 ("gap ranking, tambons of the largest province", 3,
                                  pick_areas(round_id)[1][1])):
        times = []
        for _ in range(max(3, runs // 3)):
            with scoped(scope) as conn:
                t0 = time.perf_counter()
                q.coverage_by_area(conn, scope, round_id, level, parent, 10, "beyond")
                times.append((time.perf_counter() - t0) * 1000)
        rows.append({"case": label, "median_ms": round(statistics.median(times), 1),
                     "db_ms": None, "target_ms": None})
    return rows


def measure_planner(round_id: int, sites: int, distance: int, area: str = "TH",
                    only_without: bool = False) -> dict:
    from chipao.domain.coverage_planner import coverage_matrix, greedy_max_coverage
    from chipao.domain.scope import Role, Scope
    from queries import centres as q
    from queries.db import scoped

    scope = Scope("bench-executive", Role.EXECUTIVE)
    t0 = time.perf_counter()
    with scoped(scope) as conn:
        inputs = q.planner_inputs(conn, scope, round_id, distance, area, only_without)
    t1 = time.perf_counter()
    matrix = coverage_matrix(inputs.demand_lon, inputs.demand_lat, inputs.site_lon,
                             inputs.site_lat, distance * 1000.0)
    t2 = time.perf_counter()
    plan = greedy_max_coverage(matrix, inputs.demand_poor, sites)
    t3 = time.perf_counter()
    total = inputs.poor_located or 1
    return {"case": f"{sites} sites, {distance} km, {area}"
                    + (", only tambons without a centre" if only_without else ""),
            "demand_cells": len(inputs.demand_poor), "uncovered_poor": int(inputs.demand_poor.sum()),
            "candidates": len(inputs.site_pcode), "pairs": int(matrix.nnz),
            "read_s": round(t1 - t0, 2), "coverage_sets_s": round(t2 - t1, 2),
            "greedy_s": round(t3 - t2, 3), "total_s": round(t3 - t0, 2),
            "coverage_before": round(inputs.poor_within / total, 4),
            "coverage_after": round((inputs.poor_within + plan.covered) / total, 4),
            "sites_chosen": len(plan.sites), "target_s": TARGETS["planner_s"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=None,
                        help="use the bench database with this many demo households")
    parser.add_argument("--database", help="measure this database of the local cluster")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--skip-refresh", action="store_true")
    a = parser.parse_args()
    if a.database:
        use_database(a.database)
    elif a.households:
        use_database(BENCH_DB)
        ensure_demo(a.households)
    else:
        use_local_store()

    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        round_id = conn.execute(text(
            "SELECT round_id FROM survey_round ORDER BY year_be DESC LIMIT 1")).scalar()
    if not households or round_id is None:
        print("the store holds no households: run `make demo` first", file=sys.stderr)
        return 1
    results: dict = {"households": households}
    if not a.skip_refresh:
        results["refresh"] = measure_refresh()
    results["coverage"] = measure_coverage(round_id, a.runs)
    results["planner"] = [measure_planner(round_id, 50, 10),
                          measure_planner(round_id, 50, 5),
                          measure_planner(round_id, 50, 10, only_without=True),
                          measure_planner(round_id, 10, 20)]
    print_markdown(results)
    out = ROOT / ".cache" / "bench_centres.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


def print_markdown(r: dict) -> None:
    print(f"### Centre coverage — {r['households']:,} households\n")
    if "refresh" in r:
        f = r["refresh"]
        print("| refresh | value |\n|---|---|")
        for key in ("located", "households", "open_centres", "exact_searches", "refresh_s",
                    "with_commit_s", "households_per_s", "backend_cpu_s", "load_average_before",
                    "load_average_after"):
            print(f"| {key} | {f[key]} |")
        print(f"| phases (s) | {f['phases_s']} |\n")
    print("| coverage query | app median ms | database ms | target ms |\n|---|---|---|---|")
    for c in r["coverage"]:
        print(f"| {c['case']} | {c['median_ms']} | {c['db_ms'] if c['db_ms'] is not None else '–'} "
              f"| {c['target_ms'] or '–'} |")
    print("\n| planner | cells | candidates | pairs | read s | sets s | greedy s | total s | "
          "before → after |\n|---|---|---|---|---|---|---|---|---|")
    for p in r["planner"]:
        print(f"| {p['case']} | {p['demand_cells']:,} | {p['candidates']:,} | {p['pairs']:,} | "
              f"{p['read_s']} | {p['coverage_sets_s']} | {p['greedy_s']} | {p['total_s']} | "
              f"{p['coverage_before']:.1%} → {p['coverage_after']:.1%} |")


if __name__ == "__main__":
    sys.exit(main())
