"""Import benchmark (issue 2): demo generation and the household importer at scale.

    .venv/bin/python bench/bench_import.py                       # the default demo size
    .venv/bin/python bench/bench_import.py --households 4104450  # full scale

Uses its own database (``chipao_bench_import``) in the project-managed local cluster,
with the real boundaries (CHIPAO_BOUNDARIES, else ../shared/geodata). Each run replaces
the household data there. Reports generation time, the household import's rate
(households/s and survey rows/s, staging to committed keys and indexes), the whole
load, peak resident memory of this process and the database size. Results are printed
as Markdown and written to .cache/bench_import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import use_database  # noqa: E402

BENCH_DB = "chipao_bench_import"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    from chipao.ingest.demo import DEFAULT_HOUSEHOLDS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=DEFAULT_HOUSEHOLDS)
    parser.add_argument("--seed", type=int, default=2565)
    args = parser.parse_args()

    use_database(BENCH_DB)
    from sqlalchemy import text

    from chipao.ingest.demo import return_freed_memory

    return_freed_memory()
    from chipao.ingest import demo
    from queries import households_load as hl
    from queries.db import owner

    with owner() as conn:
        tambons = conn.execute(text("SELECT count(*) FROM area WHERE level = 3")).scalar_one()
    if tambons == 0:
        from geodata.boundaries import import_boundaries

        if not import_boundaries(progress=False).ok:
            print("boundary import failed", file=sys.stderr)
            return 1

    phases: dict[str, float] = {}
    started = time.perf_counter()
    with owner() as conn:
        inputs = hl.read_demo_inputs(conn)
    phases["read inputs"] = time.perf_counter() - started
    t = time.perf_counter()
    data = demo.generate(args.households, args.seed, inputs=inputs)
    phases["generate"] = time.perf_counter() - t
    rss_after_generate = peak_rss_mb()
    marks: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        marks.setdefault(phase, time.perf_counter())
        marks[phase + " (end)"] = time.perf_counter()

    t = time.perf_counter()
    with owner() as conn:
        summary = demo.load(conn, data, replace=True, progress=progress, release=True)
        commit_started = time.perf_counter()
    phases["load (incl. aggregates)"] = time.perf_counter() - t
    phases["commit"] = time.perf_counter() - commit_started
    total = time.perf_counter() - started
    with owner() as conn:
        db_bytes = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        rows = conn.execute(text("SELECT count(*) FROM household_round")).scalar_one()
    del data

    hh_rate = summary["households_per_second"]
    results = {
        "households": summary["households"],
        "survey_rows": rows,
        "members": summary["members"],
        "plan_items": summary["items"],
        "visits": summary["visits"],
        "centres": summary["centres"],
        "generate_s": round(phases["generate"], 1),
        "household_import_s": round(summary["import_seconds"], 1),
        "household_import_households_per_s": round(hh_rate),
        "household_import_rows_per_s": round(rows / summary["import_seconds"]),
        "load_total_s": round(phases["load (incl. aggregates)"], 1),
        "total_s": round(total, 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "peak_rss_after_generate_mb": round(rss_after_generate),
        "database_size_mb": round(db_bytes / 2**20),
        "phase_marks_s": {k: round(v - started, 1) for k, v in sorted(marks.items(),
                                                                      key=lambda kv: kv[1])},
        "machine": f"{os.cpu_count()} cores",
    }
    print(f"\n## Import benchmark ({results['households']:,} households, seed {args.seed})\n")
    print("| measure | value | target |\n|---|---|---|")
    print(f"| generation | {results['generate_s']} s | |")
    print(f"| household import | {results['household_import_s']} s: "
          f"{results['household_import_households_per_s']:,} households/s, "
          f"{results['household_import_rows_per_s']:,} survey rows/s | ≥ 100,000 households/s |")
    print(f"| whole load (members, plans, visits, centres, aggregates) | "
          f"{results['load_total_s']} s | |")
    print(f"| total (read, generate, load, commit) | {results['total_s']} s | |")
    print(f"| peak RSS | {results['peak_rss_mb']:,} MB | ≤ 4 GB |")
    print(f"| database size | {results['database_size_mb']:,} MB | |")
    out = ROOT / ".cache" / "bench_import.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\n(written to {out.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
