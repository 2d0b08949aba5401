"""Aggregate refresh benchmark (issue 14): the full rebuild against the incremental one
an import of households in a few tambons runs (queries/rollup.py).

    .venv/bin/python bench/bench_refresh.py                   # the store `make db` uses
    .venv/bin/python bench/bench_refresh.py --database chipao_load
    .venv/bin/python bench/bench_refresh.py --households 100000

For each of a tambon, a district and a province (the one with the most households):
re-import its households of the latest round with other results (every row changes),
time the import with its incremental refresh, then roll back. Then time a full
``aggregates.refresh`` (rolled back too). Medians of --runs (--full-runs). Markdown on stdout, JSON in
.cache/bench_refresh.json. The store is left as it was.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import choose_store, store_arguments  # noqa: E402

BENCH_DB = "chipao_bench_refresh"


def _area_file(conn, pcode: str, folder: Path) -> tuple[Path, int]:
    """The latest round's rows of the area's households, every indicator result
    flipped for one household in two, as a household CSV; returns (path, rows)."""
    import numpy as np
    import pandas as pd
    from sqlalchemy import text

    from queries import households_load as hl

    catalogue = hl.read_catalogue(conn)
    frame = pd.DataFrame(conn.execute(text("""
        SELECT h.house_id, h.tambon_pcode, h.village_no, s.year_be AS survey_year,
               r.size AS household_size, r.welfare_card::int AS welfare_card,
               ST_Y(h.location) AS lat, ST_X(h.location) AS lon, r.failed, r.not_applicable
        FROM household h
        JOIN household_round r USING (house_id)
        JOIN survey_round s USING (round_id)
        WHERE starts_with(h.tambon_pcode, :p)
          AND s.year_be = (SELECT max(year_be) FROM survey_round)
    """), {"p": pcode}).all(), columns=["house_id", "tambon_pcode", "village_no", "survey_year",
                                       "household_size", "welfare_card", "lat", "lon", "failed",
                                       "not_applicable"])
    flip = np.arange(len(frame)) % 2 == 0
    mask = sum(1 << s.bit for s in catalogue.indicators)
    failed = frame["failed"].to_numpy(dtype=np.int64)
    na = frame["not_applicable"].to_numpy(dtype=np.int64)
    frame["failed"] = np.where(flip, (~failed & mask) & ~na, failed)
    out = frame.drop(columns=["failed", "not_applicable"]).copy()
    for s in catalogue.indicators:
        bit = np.int64(1) << s.bit
        out[s.code] = np.where(frame["failed"].to_numpy() & bit, "0",
                               np.where(na & bit, "NA", "1"))
    path = folder / f"{pcode}.csv"
    out.to_csv(path, index=False, float_format="%.7f")
    return path, len(out)


def _timed_import(path: Path) -> dict:
    from chipao.ingest.household_csv import read_household_csv
    from queries import households_load as hl
    from queries.db import owner_engine

    with owner_engine().connect() as conn:
        tx = conn.begin()
        try:
            parsed = read_household_csv(path, hl.read_catalogue(conn))
            t0 = time.perf_counter()
            result = hl.import_households(conn, parsed, refresh=False)
            t1 = time.perf_counter()
            from queries import aggregates

            touched = parsed.rows["tambon_pcode"].unique().tolist()
            parts: dict[str, float] = {}
            rebuilt = aggregates.refresh(conn, touched, parts)
            t2 = time.perf_counter()
        finally:
            tx.rollback()
    return {"import_s": t1 - t0, "refresh_s": t2 - t1, "rows": result.rows_loaded,
            "tambons": rebuilt, "parts": parts}


def _timed_full() -> dict:
    from queries import aggregates
    from queries.db import owner_engine

    with owner_engine().connect() as conn:
        tx = conn.begin()
        try:
            parts: dict[str, float] = {}
            t0 = time.perf_counter()
            aggregates.refresh(conn, timings=parts)
            return {"refresh_s": time.perf_counter() - t0, "parts": parts}
        finally:
            tx.rollback()


def _median_parts(times: list[dict]) -> dict[str, float]:
    return {k: statistics.median(t["parts"][k] for t in times) for k in times[0]["parts"]}


def run(runs: int, full_runs: int) -> dict:
    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        biggest = {n: conn.execute(text(f"""
            SELECT left(tambon_pcode, {n}) FROM household GROUP BY 1
            ORDER BY count(*) DESC LIMIT 1""")).scalar_one() for n in (8, 6, 4)}  # noqa: S608
        households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
    out: dict = {"households": households, "areas": {}}
    with tempfile.TemporaryDirectory(prefix="chipao-refresh-") as folder:
        for kind, n in (("tambon", 8), ("district", 6), ("province", 4)):
            with owner() as conn:
                path, rows = _area_file(conn, biggest[n], Path(folder))
            times = [_timed_import(path) for _ in range(runs)]
            out["areas"][kind] = {
                "pcode": biggest[n], "rows": rows, "tambons": times[0]["tambons"],
                "import_s": statistics.median(t["import_s"] for t in times),
                "refresh_s": statistics.median(t["refresh_s"] for t in times),
                "parts": _median_parts(times)}
            print(f"{kind} {biggest[n]}: {out['areas'][kind]}", file=sys.stderr, flush=True)
    full = [_timed_full() for _ in range(full_runs)]
    out["full_s"] = statistics.median(f["refresh_s"] for f in full)
    out["full_parts"] = _median_parts(full)
    return out


def report(out: dict) -> None:
    print(f"\n### Aggregate refresh ({out['households']:,} households)\n")
    print("| import of | rows | tambons rebuilt | import | incremental refresh | "
          "full refresh | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, a in out["areas"].items():
        print(f"| a {kind} ({a['pcode']}), latest round | {a['rows']:,} | {a['tambons']} | "
              f"{a['import_s']:.1f} s | **{a['refresh_s']:.1f} s** | {out['full_s']:.1f} s | "
              f"{out['full_s'] / a['refresh_s']:.1f}× |")
    parts = list(out["full_parts"])
    print("\n| seconds per part | " + " | ".join(parts) + " |")
    print("|---|" + "---:|" * len(parts))
    for kind, a in out["areas"].items():
        print(f"| incremental, a {kind} | " + " | ".join(f"{a['parts'][p]:.1f}" for p in parts)
              + " |")
    print("| full | " + " | ".join(f"{out['full_parts'][p]:.1f}" for p in parts) + " |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    store_arguments(p)
    p.add_argument("--runs", type=int, default=3, help="runs of each incremental import")
    p.add_argument("--full-runs", type=int, default=1,
                   help="runs of the full rebuild (minutes each at full scale)")
    a = p.parse_args()
    choose_store(a, BENCH_DB)
    out = run(a.runs, a.full_runs)
    report(out)
    cache = ROOT / ".cache"
    cache.mkdir(exist_ok=True)
    (cache / "bench_refresh.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
