"""Command-line commands for the social-help centres (loaded by chipao.cli)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from chipao.cli.main import args, command, console


@args(lambda p: (p.add_argument("file", type=Path, help="centre CSV (UTF-8 or TIS-620)"),
                 p.add_argument("--accept-partial", action="store_true",
                                help="load the good rows even when some rows are rejected"),
                 p.add_argument("--report", type=Path, help="where to write the reject report"),
                 p.add_argument("--no-refresh", action="store_true",
                                help="do not recompute coverage afterwards (run "
                                     "refresh-coverage later)")))
@command("import-centres", "Import tambon social-help centres from a CSV (see docs/centres.md), "
                           "then recompute coverage.")
def cmd_import_centres(a: argparse.Namespace) -> int:
    from chipao.ingest.centre_csv import import_file

    result = import_file(a.file, accept_partial=a.accept_partial, report_path=a.report,
                         refresh=not a.no_refresh)
    return 0 if result.ok else 1


@command("refresh-coverage", "Recompute every household's and tambon's nearest open centre "
                             "and the coverage figures.")
def cmd_refresh_coverage(_a: argparse.Namespace) -> int:
    from queries.centres import refresh_coverage
    from queries.db import owner

    with console.status("finding the nearest open centre of every household …"), \
            owner() as conn:
        result = refresh_coverage(conn)
    console.print(result.summary())
    print(json.dumps({"seconds": round(result.seconds, 1), **result.phases}))
    return 0


@args(lambda p: (p.add_argument("--sites", type=int, default=50, help="new centres (N)"),
                 p.add_argument("--distance", type=int, default=10, help="distance in km"),
                 p.add_argument("--area", default="TH",
                                help="P-code of the area to plan for (default: the country)"),
                 p.add_argument("--round", type=int, default=None,
                                help="survey round (B.E. year; default: the latest)"),
                 p.add_argument("--only-without-centre", action="store_true",
                                help="candidates only in tambons with no open or planned centre")))
@command("plan-centres", "Suggest tambons for N new centres by greedy maximal coverage of "
                         "poor households farther than the distance from any open centre.")
def cmd_plan_centres(a: argparse.Namespace) -> int:
    from chipao.domain.coverage_planner import plan_sites
    from chipao.domain.scope import SYSTEM
    from queries.centres import planner_inputs
    from queries.db import owner
    from queries.rounds import list_rounds, resolve_round

    started = time.perf_counter()
    with owner() as conn:
        current = resolve_round(list_rounds(conn), a.round)
        if current is None:
            console.print("[red]no survey round in the store[/red]")
            return 1
        inputs = planner_inputs(conn, SYSTEM, current.round_id, a.distance, a.area.upper(),
                                a.only_without_centre)
    loaded = time.perf_counter()
    plan = plan_sites(inputs.demand_lon, inputs.demand_lat, inputs.demand_poor,
                      inputs.site_lon, inputs.site_lat, a.distance * 1000, a.sites)
    before = inputs.poor_within
    total = inputs.poor_located or 1
    for rank, site in enumerate(plan.sites, start=1):
        name_th, name_en = inputs.site_names[site.index]
        print(f"{rank:3d}  {inputs.site_pcode[site.index]}  {name_en} ({name_th})  "
              f"+{site.gain:,}  → {(before + site.cumulative) / total:.1%}")
    seconds = time.perf_counter() - started
    console.print(
        f"B.E. {current.year_be}, {a.area}, {a.distance} km: poor households within reach "
        f"{before:,} → {before + plan.covered:,} of {inputs.poor_located:,} "
        f"({before / total:.1%} → {(before + plan.covered) / total:.1%}); "
        f"{len(inputs.demand_poor):,} demand cells, {len(inputs.site_pcode):,} candidates; "
        f"{seconds:.1f} s ({loaded - started:.1f} s reading)")
    return 0
