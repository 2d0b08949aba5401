"""``chipao brief``: the committee brief as PDF from the command line — one area, or
every province (``--all``) into a folder with a progress bar. Runs with the system
scope (the owner role); the PDF holds aggregates only (chipao/briefs/brief.py)."""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from chipao.cli.main import args, command, console, ensure_store


def _build_args(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--province", help="province P-code, e.g. TH50")
    where.add_argument("--district", help="district P-code, e.g. TH5001")
    where.add_argument("--national", action="store_true", help="the national brief (executives)")
    where.add_argument("--all", action="store_true",
                       help="one brief per province into the folder given by -o")
    p.add_argument("--round", type=int, default=None, help="survey round (B.E. year); "
                   "default: the latest")
    p.add_argument("--k", type=float, default=1 / 3, help="Alkire–Foster cut-off (default 1/3)")
    p.add_argument("--classes", default="quantiles",
                   choices=("quantiles", "fisher_jenks", "equal_interval"))
    p.add_argument("--lang", default="th", choices=("th", "en"))
    p.add_argument("--public", action="store_true",
                   help="as a public viewer: small counts suppressed")
    p.add_argument("--no-cache", action="store_true", help="build even when cached")
    p.add_argument("--jobs", type=int, default=1,
                   help="with --all: briefs built in parallel processes (default 1; "
                        "2 uses both cores of a 2-core server)")
    p.add_argument("-o", "--output", required=True,
                   help="PDF file (a folder with --all: one <province>-<round>-….pdf each)")


def _one_brief(pcode: str, public: bool, year: int | None, k: float, classes: str, lang: str,
               no_cache: bool, out: str) -> tuple[str, str]:
    """One province's brief into `out` (a top-level function: it runs in a pool)."""
    from chipao.briefs.brief import BriefOptions, build
    from chipao.domain.scope import PUBLIC, SYSTEM

    brief = build(PUBLIC if public else SYSTEM, BriefOptions(pcode, year, k, classes, lang),
                  use_cache=not no_cache)
    (Path(out) / brief.filename).write_bytes(brief.pdf)
    return pcode, brief.filename


@command("brief", "Build the committee brief (PDF) of a province, district or the country.")
@args(_build_args)
def cmd_brief(a: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from chipao.briefs.brief import BriefOptions, build
    from chipao.domain.scope import PUBLIC, SYSTEM
    from queries.db import scoped
    from queries.mpi import area_list

    ensure_store()
    scope = PUBLIC if a.public else SYSTEM
    out = Path(a.output)
    if a.all:
        out.mkdir(parents=True, exist_ok=True)
        with scoped(scope) as conn:
            provinces = [p["pcode"] for p in area_list(conn, 1, None)]
        started = time.perf_counter()
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                      console=console) as bar:
            task = bar.add_task("briefs", total=len(provinces))
            todo = [(pcode, a.public, a.round, a.k, a.classes, a.lang, a.no_cache, str(out))
                    for pcode in provinces]
            if a.jobs > 1:  # fresh processes: no database connection crosses a fork
                with ProcessPoolExecutor(a.jobs, mp_context=get_context("spawn")) as pool:
                    for pcode, _name in pool.map(_one_brief, *zip(*todo, strict=True)):
                        bar.update(task, description=pcode, advance=1)
            else:
                for item in todo:
                    bar.update(task, description=item[0])
                    _one_brief(*item)
                    bar.advance(task)
        console.print(f"{len(provinces)} briefs in {out} "
                      f"({time.perf_counter() - started:.1f} s)")
        return 0
    area = a.province or a.district or "TH"
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task(area, total=100)
        brief = build(scope, BriefOptions(area, a.round, a.k, a.classes, a.lang),
                      progress=lambda pct, label: bar.update(task, completed=pct,
                                                             description=f"{area}: {label}"),
                      use_cache=not a.no_cache)
    target = out / brief.filename if out.is_dir() else out
    target.write_bytes(brief.pdf)
    console.print(f"{target} ({len(brief.pdf) / 1024:.0f} KiB, "
                  f"{'cached' if brief.cached else f'{brief.seconds:.1f} s'})")
    return 0
