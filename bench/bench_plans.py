"""Plan-progress benchmark (issue 5): the aggregate rebuild, and every kind of /plans page
view timed at the server (the page's layout function, i.e. all its queries and the
figure building, as a signed-in user), plus the household export.

    .venv/bin/python bench/bench_plans.py                       # the local store
    .venv/bin/python bench/bench_plans.py --database chipao_bench_households
    .venv/bin/python bench/bench_plans.py --households 4104450  # own database + demo

Without options it measures whatever the local store (DATABASE_URL, or the project-
managed PostGIS) holds. --database NAME uses another database of the local cluster
(migrated first, so the plan tables exist); --households N a database of its own
(``chipao_bench_plans``) holding N demo households, loaded once and then reused.
Target: every page view ≤ 300 ms. Prints Markdown; writes .cache/bench_plans.json.
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

from bench.common import choose_store, store_arguments  # noqa: E402

BENCH_DB = "chipao_bench_plans"
TARGET_MS = 300.0


def store_size() -> dict:
    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                for t in ("household", "household_round", "visit", "household_plan", "plan_item")}


def rebuild() -> dict:
    from queries import plans
    from queries.db import owner

    started = time.perf_counter()
    with owner() as conn:
        steps = plans.refresh_plans(conn)
    return {"seconds": time.perf_counter() - started,
            "steps": {k: round(v, 2) for k, v in steps.items()}}


def pick_areas() -> dict:
    """The province, district and tambon with the most plan items (the heaviest views)."""
    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        out = {}
        for level in (1, 2, 3):
            out[level] = conn.execute(text(
                "SELECT pcode FROM agg_plan_area WHERE level = :l "
                "ORDER BY items DESC, pcode LIMIT 1"), {"l": level}).scalar_one()
        out["round"] = conn.execute(text(
            "SELECT s.year_be FROM agg_plan_area a JOIN survey_round s USING (round_id) "
            "WHERE a.level = 0 ORDER BY a.items DESC LIMIT 1")).scalar_one()
    return out


def time_view(server, scope, query: dict, runs: int) -> dict:
    """The page's layout (every query, table and figure) and its JSON encoding, as the
    pages router does it for a callback response."""
    import flask
    from dash._utils import to_json

    from pages import plans as page

    times, cpu, size = [], [], 0
    for _ in range(runs + 1):  # the first run warms caches and is not counted
        with server.test_request_context("/plans"):
            flask.g.scope = scope
            started, cpu0 = time.perf_counter(), time.thread_time()
            result = page.layout(**query)
            size = len(to_json(result))
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - cpu0) * 1000)
        if getattr(result, "id", None) != "plans-page":
            raise RuntimeError(f"view {query} did not render: {result}")
    times, cpu = times[1:], cpu[1:]
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
            "cpu_ms": round(statistics.median(cpu), 1), "kb": round(size / 1024)}


def time_export(server, scope, state: dict, runs: int) -> dict:
    import flask

    from pages import plans as page

    times, size = [], 0
    for _ in range(runs):
        with server.test_request_context("/_dash-update-component"):
            flask.g.scope = scope
            started = time.perf_counter()
            out = page.export_households(1, state)
            times.append((time.perf_counter() - started) * 1000)
            size = out["content"].count("\n") - 1
    return {"median_ms": round(statistics.median(times), 1), "rows": size}


def run(runs: int, skip_rebuild: bool, gc_freeze: bool = False) -> dict:
    import gc

    from app import app
    from chipao.domain.scope import Role, Scope

    if gc_freeze:  # what a server would do once after start-up (see the report)
        gc.collect()
        gc.freeze()

    out: dict = {"store": store_size()}
    if not skip_rebuild:
        out["rebuild"] = rebuild()
    areas = pick_areas()
    out["areas"] = areas
    year = str(areas["round"])
    province, district, tambon = areas[1], areas[2], areas[3]
    executive = Scope("bench-exec", Role.EXECUTIVE)
    officer = Scope("bench-province", Role.PROVINCE, (province,))
    views = {
        "country, provinces": (executive, {"round": year}),
        "country, all 7,425 tambons": (executive, {"round": year, "level": "3"}),
        "province, districts": (executive, {"round": year, "area": province}),
        "province, tambons, items done": (executive, {"round": year, "area": province,
                                                      "level": "3", "measure": "done"}),
        "district, tambons": (executive, {"round": year, "area": district}),
        "tambon selected, 90 days": (executive, {"round": year, "area": tambon, "days": "90"}),
        "province officer, household list": (officer, {"round": year, "area": province}),
        "province officer, country view": (officer, {"round": year}),
    }
    out["views"] = {name: time_view(app.server, scope, q, runs) for name, (scope, q) in views.items()}
    out["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    out["export"] = time_export(app.server, officer, {"area": province, "level": "2",
                                                      "round": year, "days": "30"}, max(1, runs // 2))
    return out


def report(out: dict) -> None:
    s = out["store"]
    print(f"## Plan progress benchmark\n\nStore: {s['household']:,} households, "
          f"{s['household_round']:,} household-rounds, {s['visit']:,} visits, "
          f"{s['household_plan']:,} plans, {s['plan_item']:,} plan items.\n")
    if "rebuild" in out:
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in out["rebuild"]["steps"].items())
        print(f"Aggregate rebuild (`refresh_plans`): {out['rebuild']['seconds']:.1f} s ({steps})\n")
    print(f"| page view (server: queries, layout, JSON) | median ms | max ms | Python CPU ms "
          f"| JSON kB | median ≤ {TARGET_MS:.0f} ms |")
    print("|---|---:|---:|---:|---:|:---:|")
    for name, v in out["views"].items():
        ok = "yes" if v["median_ms"] <= TARGET_MS else "NO"
        print(f"| {name} | {v['median_ms']:.0f} | {v['max_ms']:.0f} | {v['cpu_ms']:.0f} "
              f"| {v['kb']:,} | {ok} |")
    print(f"\nLoad average during the run: {out['load']} ({os.cpu_count()} CPUs); wall "
          "times grow with other work on the machine, Python CPU time much less.")
    e = out["export"]
    print(f"\nHousehold export (stalled ≥ 30 days, province {out['areas'][1]}): "
          f"{e['rows']:,} rows in {e['median_ms']:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    store_arguments(parser)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-rebuild", action="store_true",
                        help="measure the aggregates as they are")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after importing the app (long-lived objects are "
                             "then never rescanned by the garbage collector)")
    args = parser.parse_args()
    choose_store(args, BENCH_DB)
    if store_size()["household"] == 0:
        print("the store holds no households: run `make demo` (or pass --households N)",
              file=sys.stderr)
        return 1
    out = run(args.runs, args.skip_rebuild, args.gc_freeze)
    out["gc_freeze"] = args.gc_freeze
    report(out)
    cache = ROOT / ".cache"
    cache.mkdir(exist_ok=True)
    (cache / "bench_plans.json").write_text(json.dumps(out, indent=2, default=str))
    slow = [n for n, v in out["views"].items() if v["median_ms"] > TARGET_MS]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
