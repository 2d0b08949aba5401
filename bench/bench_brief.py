"""Committee-brief benchmark (issue 11): the time to build one provincial brief (PDF,
cache off) — data, maps and the WeasyPrint layout separately — with the maps embedded
as PNG (what the brief does) side by side with SVG (the alternative), and the time
for every province (``--all``; by default a sample of provinces, projected to 77).

    .venv/bin/python bench/bench_brief.py                   # the local store
    .venv/bin/python bench/bench_brief.py --province TH30 --repeat 5
    .venv/bin/python bench/bench_brief.py --all             # all 77 provinces

Targets: one brief ≤ 20 s, all 77 ≤ 15 min on the 2-core machine. Prints Markdown;
writes .cache/bench_brief.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import use_local_store  # noqa: E402

TARGET_ONE_S = 20.0
TARGET_ALL_S = 15 * 60.0


def one(pcode: str, fmt: str) -> dict:
    """Build one brief without the cache; seconds for data+maps and for the layout."""
    from chipao.briefs import brief
    from chipao.domain.scope import SYSTEM
    from queries.db import scoped

    brief.MAP_FORMAT = fmt
    started = time.perf_counter()
    with scoped(SYSTEM) as conn:
        context = brief.collect(conn, SYSTEM, brief.BriefOptions(pcode), datetime.now(
            brief.TZ), lambda *_a: None)
    collected = time.perf_counter()
    pdf = brief.html_to_pdf(brief.render_html(context))
    done = time.perf_counter()
    return {"collect_s": collected - started, "layout_s": done - collected,
            "total_s": done - started, "bytes": len(pdf)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--province", default="TH50")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sample", type=int, default=4, help="provinces timed for the projection")
    p.add_argument("--all", action="store_true", help="time every province (takes minutes)")
    a = p.parse_args()
    use_local_store()
    from chipao.briefs import brief
    from chipao.domain.scope import SYSTEM
    from queries.db import scoped
    from queries.mpi import area_list

    with scoped(SYSTEM) as conn:
        from sqlalchemy import text

        households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        provinces = [r["pcode"] for r in area_list(conn, 1, None)]
    one(a.province, "png")  # warm-up: fonts merged, modules imported
    runs = {fmt: [one(a.province, fmt) for _ in range(a.repeat)] for fmt in ("png", "svg")}
    med = {fmt: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
           for fmt, rs in runs.items()}
    chosen = provinces if a.all else provinces[:: max(1, len(provinces) // a.sample)][:a.sample]
    started = time.perf_counter()
    for pcode in chosen:
        brief.MAP_FORMAT = "png"
        one(pcode, "png")
    spent = time.perf_counter() - started
    projected = spent / len(chosen) * len(provinces)
    result = {"households": households, "province": a.province, "repeat": a.repeat,
              "median": med, "ratio_svg_over_png": med["svg"]["total_s"] / med["png"]["total_s"],
              "provinces_timed": len(chosen), "provinces": len(provinces),
              "seconds_timed": spent, "all_projected_s": projected, "all_measured": a.all}
    print(f"## Brief benchmark ({households:,} households in the store)\n")
    print("| maps as | data + maps (s) | layout (s) | total (s) | PDF (KiB) |")
    print("|---|---:|---:|---:|---:|")
    for fmt in ("png", "svg"):
        m = med[fmt]
        print(f"| {fmt.upper()} | {m['collect_s']:.2f} | {m['layout_s']:.2f} | "
              f"{m['total_s']:.2f} | {m['bytes'] / 1024:.0f} |")
    print(f"\nOne brief ({a.province}, median of {a.repeat}): {med['png']['total_s']:.1f} s "
          f"(target ≤ {TARGET_ONE_S:.0f} s); SVG maps would take "
          f"{result['ratio_svg_over_png']:.2f}× as long.")
    label = "measured" if a.all else f"projected from {len(chosen)} provinces"
    print(f"All {len(provinces)} provinces: {projected / 60:.1f} min ({label}; target ≤ 15 min).")
    out = ROOT / ".cache" / "bench_brief.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return 0 if med["png"]["total_s"] <= TARGET_ONE_S and projected <= TARGET_ALL_S else 1


if __name__ == "__main__":
    sys.exit(main())
