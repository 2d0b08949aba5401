"""Household list benchmark (issue 4): first 100 rows of a tambon's and a district's
list, house-ID search and name search, timed in the app role's row-level-security
scope exactly as the dashboard runs them (rows + total count), plus the database's
own EXPLAIN ANALYZE execution times.

    .venv/bin/python bench/bench_households.py                  # the local store
    .venv/bin/python bench/bench_households.py --households 4104450

Without --households it measures whatever the local store (DATABASE_URL, or the
project-managed PostGIS) holds. With --households N it uses a database of its own
(``chipao_bench_households`` in the local cluster, or --database NAME) holding N demo
households (real boundaries + ``chipao demo``), loaded once and then reused.
Targets: first 100 rows ≤ 100 ms; house-ID search ≤ 50 ms; name search ≤ 200 ms.
Prints Markdown; writes .cache/bench_households.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_demo, use_database, use_local_store  # noqa: E402

BENCH_DB = "chipao_bench_households"
TARGETS = {"list": 100.0, "house_id": 50.0, "name": 200.0}


def households_in_store() -> int:
    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        return conn.execute(text("SELECT count(*) FROM household")).scalar_one()


# ── picking what to measure ──────────────────────────────────────────────────
def pick_areas() -> dict:
    """The largest and the median tambon and district of the latest round, a house ID
    and two names from the largest district (by households)."""
    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        rid = conn.execute(text("SELECT round_id FROM survey_round ORDER BY year_be DESC "
                                "LIMIT 1")).scalar_one()

        def ranked(level: int) -> list[tuple[str, int]]:
            n = 4 + 2 * (level - 1)
            return [tuple(r) for r in conn.execute(text(
                "SELECT left(tambon_pcode, :n) AS pcode, count(*) FROM household_round "
                "WHERE round_id = :r GROUP BY 1 ORDER BY 2 DESC"), {"n": n, "r": rid})]

        districts, tambons = ranked(2), ranked(3)
        big_d = districts[0][0]
        house = conn.execute(text("SELECT house_id FROM household_round WHERE round_id = :r "
                                  "AND tambon_pcode LIKE :p ORDER BY house_id LIMIT 1 OFFSET 7"),
                             {"r": rid, "p": big_d + "%"}).scalar_one()
        first, last = conn.execute(text(
            "SELECT first_name, last_name FROM member WHERE tambon_pcode LIKE :p "
            "ORDER BY member_id LIMIT 1 OFFSET 11"), {"p": big_d + "%"}).one()
    return {"round_id": rid, "district_big": districts[0], "district_median":
            districts[len(districts) // 2], "tambon_big": tambons[0],
            "tambon_median": tambons[len(tambons) // 2], "house": house,
            "first": first, "full": f"{first} {last}"}


# ── timing ───────────────────────────────────────────────────────────────────
def explain_ms(conn, stmt) -> float:
    """The database's own execution time (EXPLAIN ANALYZE) for a Core statement."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql).scalar_one()
    return float(plan[0]["Execution Time"])


def measure(label: str, kind: str, scope, params: dict, grid, runs: int) -> dict:
    from chipao.domain.household_filters import parse_list_params
    from queries import households as hh
    from queries.db import scoped

    with scoped(scope) as conn:
        ctx = hh.list_context(conn, scope, parse_list_params(params))
    times: list[float] = []
    total = 0
    for _ in range(runs):
        with scoped(scope) as conn:
            started = time.perf_counter()
            rows, total = hh.page(conn, scope, ctx, grid)
            times.append((time.perf_counter() - started) * 1000)
    with scoped(scope) as conn:
        db_rows = explain_ms(conn, hh.page_statement(ctx, grid, grid.end - grid.start, grid.start))
        db_count = explain_ms(conn, hh.count_statement(ctx, grid.filters))
    warm = times[1:] or times
    return {"case": label, "kind": kind, "rows": len(rows), "total": total,
            "first_ms": round(times[0], 1), "median_ms": round(statistics.median(warm), 1),
            "max_ms": round(max(warm), 1), "db_rows_ms": round(db_rows, 1),
            "db_count_ms": round(db_count, 1), "target_ms": TARGETS[kind]}


def measure_record(scope, house: str, runs: int) -> dict:
    from queries.db import scoped
    from queries.household_record import household_record

    times = []
    for _ in range(runs):
        with scoped(scope) as conn:
            started = time.perf_counter()
            household_record(conn, scope, house)
            times.append((time.perf_counter() - started) * 1000)
    warm = times[1:] or times
    return {"case": "household record (all sections, audited)", "kind": "record", "rows": 1,
            "total": 1, "first_ms": round(times[0], 1), "median_ms": round(statistics.median(warm), 1),
            "max_ms": round(max(warm), 1), "db_rows_ms": None, "db_count_ms": None,
            "target_ms": None}


def run(runs: int) -> dict:
    from chipao.domain.household_filters import GridRequest
    from chipao.domain.scope import Role, Scope

    a = pick_areas()
    big_d, big_t = a["district_big"][0], a["tambon_big"][0]
    province = Scope("bench-province", Role.PROVINCE, (big_d[:4],))
    district = Scope("bench-district", Role.DISTRICT, (big_d,))
    first100 = GridRequest(0, 100)

    def sized(key: str) -> str:
        return f"{a[key][0]} ({a[key][1]:,} households)"

    cases = [
        ("tambon list, largest " + sized("tambon_big"), "list",
         Scope("bench-tambon", Role.TAMBON, (big_t,)), {"area": big_t}, first100),
        ("tambon list, median " + sized("tambon_median"), "list",
         Scope("bench-tambon2", Role.TAMBON, (a["tambon_median"][0],)),
         {"area": a["tambon_median"][0]}, first100),
        ("district list, largest " + sized("district_big"), "list", district, {"area": big_d},
         first100),
        ("district list, median " + sized("district_median"), "list",
         Scope("bench-district2", Role.DISTRICT, (a["district_median"][0],)),
         {"area": a["district_median"][0]}, first100),
        ("largest district, sorted by house ID", "list", district, {"area": big_d},
         GridRequest(0, 100, (("house_id", False),))),
        ("largest district, sorted by last visit", "list", district, {"area": big_d},
         GridRequest(0, 100, (("last_visit", False),))),
        ("largest district, income deprived + welfare card", "list", district,
         {"area": big_d, "dim": "income", "welfare": "yes"}, first100),
        ("largest district, plan in progress, not visited", "list", district,
         {"area": big_d, "plan": "in_progress"}, first100),
        ("largest district, AF score ≥ 0.33, rows 1,000–1,100", "list", district,
         {"area": big_d, "k": "0.33"}, GridRequest(1000, 1100)),
        (f"house-ID search, prefix {a['house'][:-3]!r} (province scope)", "house_id", province,
         {"q": a["house"][:-3]}, first100),
        (f"house-ID search, exact {a['house']!r} (province scope)", "house_id", province,
         {"q": a["house"]}, first100),
        (f"name search {a['first']!r} (province scope)", "name", province, {"q": a["first"]},
         first100),
        (f"name search {a['full']!r} (province scope)", "name", province, {"q": a["full"]},
         first100),
        (f"name search {a['first']!r} in the largest district", "name", district,
         {"area": big_d, "q": a["first"]}, first100),
    ]
    results = [measure(label, kind, scope, params, grid, runs)
               for label, kind, scope, params, grid in cases]
    results.append(measure_record(district, a["house"], runs))
    return {"households": households_in_store(), "runs": runs, "results": results}


def report(out: dict) -> None:
    print(f"\n### Household lists and search — {out['households']:,} households in the store\n")
    print("Wall time in the app role's RLS scope (rows + total count, both queries); median of "
          f"{out['runs'] - 1} warm runs after a first one. DB ms: EXPLAIN ANALYZE execution "
          "time of the rows / count statements.\n")
    print("| case | total | first ms | median ms | max ms | DB rows ms | DB count ms | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in out["results"]:
        target = r["target_ms"]
        ok = "" if target is None else ("✓" if r["median_ms"] <= target else "✗")
        print(f"| {r['case']} | {r['total']:,} | {r['first_ms']} | {r['median_ms']} | "
              f"{r['max_ms']} | {r['db_rows_ms'] if r['db_rows_ms'] is not None else '–'} | "
              f"{r['db_count_ms'] if r['db_count_ms'] is not None else '–'} | "
              f"{'' if target is None else f'≤ {target:.0f} ms {ok}'} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=None,
                        help="use a bench database with this many demo households")
    parser.add_argument("--database", default=BENCH_DB, help="bench database name (local cluster)")
    parser.add_argument("--rebuild", action="store_true", help="reload the demo households")
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    if args.households is not None:
        use_database(args.database)
        ensure_demo(args.households, args.rebuild)
    else:
        use_local_store()
        if households_in_store() == 0:
            print("the store holds no households: run `make demo` (or pass --households N)",
                  file=sys.stderr)
            return 1
    out = run(max(args.runs, 2))
    report(out)
    cache = ROOT / ".cache"
    cache.mkdir(exist_ok=True)
    (cache / "bench_households.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
