"""Map benchmark (issue 3): payload sizes, render and repaint times, query times,
the dashboard worker's memory, and the naive approach side by side.

    .venv/bin/python bench/bench_map.py                       # full scale (reused)
    .venv/bin/python bench/bench_map.py --households 200000   # smaller store
    .venv/bin/python bench/bench_map.py --rebuild             # reload the demo households

Uses a database of its own (``chipao_bench_map``) in the project-managed cluster: the
real boundaries (CHIPAO_BOUNDARIES or ../shared/geodata) and N households, generated
once by ``chipao demo`` (the real generator and importer), then reused. The dashboard runs as a separate process (``chipao
serve``) so its memory is its own; headless Chromium (/usr/bin/chromium) drives it
through Playwright as a signed-in executive. The naive approach — a fresh figure with
the whole GeoJSON embedded on every change — runs as a small Dash app in this process
with the same values. Prints Markdown; writes .cache/bench_map.json.
Targets: national tambon payload ≤ 1.5 MB, first render ≤ 2 s, switch ≤ 300 ms,
area-level query ≤ 50 ms, worker ≤ 500 MB resident.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_user, ensure_demo, login, use_database  # noqa: E402

BENCH_DB = "chipao_bench_map"
FULL_SCALE = 4_104_450


def store_households() -> int:
    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        return conn.execute(text("SELECT count(*) FROM household")).scalar_one()


def setup(households: int, rebuild: bool) -> None:
    """Boundaries and demo households in the bench database (reused when already there)."""
    ensure_demo(households, rebuild)


# ── queries ──────────────────────────────────────────────────────────────────
VIEWS = [("provinces of the country", 1, None), ("districts of a province", 2, "TH30"),
         ("tambons of a district", 3, "TH3001"), ("tambons of a province", 3, "TH30"),
         ("all tambons of the country", 3, None)]
MEASURES = [("share", "dim:health"), ("M0", "overall"), ("contribution", "dim:income")]


def _ms(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def bench_queries(runs: int) -> dict:
    """queries/mpi.py as the page calls it (app role): the first call of a view reads
    the aggregate rows into the per-process cache; later calls (any subject, measure
    or k) reuse them. Also EXPLAIN ANALYZE of the SQL behind them."""
    from sqlalchemy import text

    from chipao.domain.scope import Role, Scope
    from queries import mpi
    from queries.db import scoped

    scope = Scope("bench", Role.EXECUTIVE)
    out: dict = {"views": [], "explain": {}}
    with scoped(scope) as conn:
        rounds = [r for (r,) in conn.execute(text(
            "SELECT round_id FROM survey_round ORDER BY year_be"))]
        latest = rounds[-1]
        catalogue = mpi.load_catalogue(conn)
        for label, level, parent in VIEWS:
            view = partial(mpi.map_values, conn, scope, catalogue, round_id=latest,
                           level=level, parent=parent)
            mpi.table_cache.clear()
            t0 = time.perf_counter()
            view(subject="overall", measure="share")
            view(subject="overall", measure="M0")
            cold = (time.perf_counter() - t0) * 1000
            row = {"view": label, "level": level, "parent": parent, "cold_ms": round(cold, 1)}
            for measure, subject in MEASURES:
                med, worst = _ms(partial(view, subject=subject, measure=measure), runs)
                row[f"{measure}_ms"] = round(med, 1)
                row[f"{measure}_max_ms"] = round(worst, 1)
            k_med, _ = _ms(partial(view, subject="overall", measure="H", k=0.2), runs)
            row["k_switch_ms"] = round(k_med, 1)
            cmp_med, _ = _ms(partial(view, subject="dim:health", measure="share",
                                     compare_round_id=rounds[0]), runs)
            row["change_ms"] = round(cmp_med, 1)
            out["views"].append(row)
        for pcode in ("TH", "TH30", "TH3001", "TH300101"):
            med, _ = _ms(partial(mpi.area_profile, conn, scope, catalogue, pcode,
                                 round_id=latest, previous_round_id=rounds[0]), runs)
            out.setdefault("profile_ms", {})[pcode] = round(med, 1)
        measures = mpi.count_measures(catalogue)
        explain = {
            "count table, all tambons": (mpi._COUNTS, {"round": latest, "level": 3,
                                                       "measures": measures,
                                                       **mpi.subtree(None)}),
            "score table, all tambons": (mpi._SCORES, {"round": latest, "level": 3,
                                                       **mpi.subtree(None)}),
            "count table, tambons of a district": (mpi._COUNTS, {
                "round": latest, "level": 3, "measures": measures, **mpi.subtree("TH3001")}),
            "score table, tambons of a district": (mpi._SCORES, {
                "round": latest, "level": 3, **mpi.subtree("TH3001")}),
        }
        for label, (sql, params) in explain.items():
            plan = conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + str(sql)),
                                params).scalar()
            out["explain"][label] = round(plan[0]["Execution Time"], 1)
        out["agg_rows"] = dict(conn.execute(text(
            "SELECT 'agg_area_score level 3, one round', count(*) FROM agg_area_score "
            "WHERE level = 3 AND round_id = :r UNION ALL "
            "SELECT 'agg_area_count level 3, one round', count(*) FROM agg_area_count "
            "WHERE level = 3 AND round_id = :r"), {"r": latest}).all())
    return out


# ── the dashboard in a browser ───────────────────────────────────────────────
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
READY = """(n) => { const gd = document.querySelector('#map-graph .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd.data[0].locations) return false;
  const m = gd._fullLayout.map._subplot.map;
  return gd.data[0].locations.length === n && m.loaded() && !m.isMoving()
         && m.areTilesLoaded() && !gd.classList.contains('dash-graph--pending')
         ? performance.now() : false; }"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_dashboard(port: int):
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "chipao", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    import urllib.request

    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the dashboard did not start")


class MemoryWatch:
    """Peak resident memory of a process, sampled every 50 ms in a thread."""

    def __init__(self, pid: int):
        import threading

        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except Exception:  # the process ended
                return
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _wire_sizes(page, sink: list) -> None:
    """Bytes on the wire (compressed body) and decoded body of every app response."""

    def done(request):
        if "_dash-update-component" in request.url or "/geo/" in request.url:
            try:
                sizes = request.sizes()
                response = request.response()
                body = len(response.body()) if response else 0
            except Exception:  # the page navigated away
                return
            sink.append({"url": request.url.split("?")[0].rsplit("/", 2)[-1],
                         "post": (request.post_data or "")[:120],
                         "wire": sizes["responseBodySize"], "body": body})

    page.on("requestfinished", done)


def _switch(page, control: str, value: str, n: int) -> float:
    """Open a dropdown, then time (in the page) from choosing `value` until the map
    has repainted with new values and MapLibre is idle."""
    page.click(f"#{control}")
    page.wait_for_selector(f"label.dash-dropdown-option:has(input[value='{value}'])")
    page.evaluate("""([sel]) => { const gd = document.querySelector('#map-graph .js-plotly-plot');
        window.__before = JSON.stringify(gd.data[0].text);
        window.__t0 = performance.now();
        document.querySelector(sel).click(); }""",
                  [f"label.dash-dropdown-option:has(input[value='{value}'])"])
    handle = page.wait_for_function(
        """(n) => { const gd = document.querySelector('#map-graph .js-plotly-plot');
          if (JSON.stringify(gd.data[0].text) === window.__before) return false;
          const m = gd._fullLayout.map._subplot.map;
          return gd.data[0].locations.length === n && m.loaded() && !m.isMoving()
                 && m.areTilesLoaded() && !gd.classList.contains('dash-graph--pending')
                 ? performance.now() - window.__t0 : false; }""",
        arg=n, polling="raf", timeout=30_000)
    return handle.json_value()


def bench_browser(port: int, naive_port: int, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    username, password = create_user("executive")
    base = f"http://127.0.0.1:{port}"
    out: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # warm the server once (geometry built, aggregate rows cached), as after the
        # first visitor of the day
        ctx = browser.new_context(viewport={"width": 1366, "height": 900})
        page = ctx.new_page()
        login(page, base, username, password, next_path="/map")
        t0 = time.perf_counter()
        page.goto(f"{base}/map?level=3")
        page.wait_for_function(READY, arg=7425, polling="raf", timeout=120_000)
        out["first_render_cold_server_s"] = round(time.perf_counter() - t0, 2)
        storage = ctx.storage_state()
        ctx.close()
        renders, sizes = [], []
        for i in range(runs):  # fresh browser cache each time, warm server
            ctx = browser.new_context(viewport={"width": 1366, "height": 900},
                                      storage_state=storage)
            page = ctx.new_page()
            if i == 0:
                _wire_sizes(page, sizes)
            page.goto(f"{base}/map?level=3")
            handle = page.wait_for_function(READY, arg=7425, polling="raf", timeout=60_000)
            renders.append(handle.json_value() / 1000)
            if i == 0:
                time.sleep(0.5)
                first_sizes = list(sizes)
                switches = {"dimension": [], "measure": []}
                sizes.clear()
                for j in range(runs):
                    value = ("dim:living", "dim:health")[j % 2]
                    switches["dimension"].append(_switch(page, "map-subject", value, 7425))
                switch_sizes = [s for s in sizes if s["url"] == "_dash-update-component"]
                for j in range(runs):
                    value = ("M0", "share")[j % 2]
                    switches["measure"].append(_switch(page, "map-measure", value, 7425))
                # a returning visitor: scripts and geometry in the browser's cache
                page.goto(f"{base}/map?level=3")
                handle = page.wait_for_function(READY, arg=7425, polling="raf",
                                                timeout=60_000)
                out["first_render_warm_browser_s"] = round(handle.json_value() / 1000, 2)
                # drill-down: a new geometry (districts of a province) by URL
                t1 = time.perf_counter()
                page.goto(f"{base}/map?area=TH30")
                page.wait_for_function(READY, arg=32, polling="raf", timeout=60_000)
                out["province_view_s"] = round(time.perf_counter() - t1, 2)
            ctx.close()
        geo = [s for s in first_sizes if s["url"].endswith(".geojson")]
        layout = [s for s in first_sizes if "_pages_content" in s["post"]]
        out.update({
            "first_render_s": [round(r, 2) for r in renders],
            "first_render_median_s": round(statistics.median(renders), 2),
            "geometry_wire_bytes": geo[0]["wire"] if geo else None,
            "geometry_raw_bytes": geo[0]["body"] if geo else None,
            "layout_response_bytes": layout[0]["wire"] if layout else None,
            "switch_ms": {k: [round(v) for v in vals] for k, vals in switches.items()},
            "switch_median_ms": {k: round(statistics.median(v)) for k, v in switches.items()},
            "switch_response_bytes": max((s["wire"] for s in switch_sizes), default=None),
        })
        out["naive"] = bench_naive(browser, naive_port, runs)
        browser.close()
    return out


# ── the naive approach ───────────────────────────────────────────────────────
def naive_app(subjects: list[str]):
    """A fresh figure with the full GeoJSON embedded on every change (what the issue
    asks to compare against), with the same values and classes as the real page."""
    import dash
    from dash import Input, Output, dcc, html

    from chipao.domain.scope import Role, Scope
    from components import choropleth as cp
    from queries import areas, mpi
    from queries.db import scoped

    scope = Scope("bench", Role.EXECUTIVE)
    with scoped(scope) as conn:
        geojson = json.loads(areas.area_geojson(conn, 3))
        catalogue = mpi.load_catalogue(conn)
        latest = conn.exec_driver_sql(
            "SELECT round_id FROM survey_round ORDER BY year_be DESC LIMIT 1").scalar()

    app = dash.Dash(__name__, serve_locally=True, compress=False)
    app.layout = html.Div([dcc.Dropdown(id="naive-subject", options=subjects,
                                        value=subjects[0], clearable=False),
                           dcc.Graph(id="map-graph", style={"height": "600px"})])

    @app.callback(Output("map-graph", "figure"), Input("naive-subject", "value"))
    def draw(subject):
        with scoped(scope) as conn:
            values = mpi.map_values(conn, scope, catalogue, round_id=latest, level=3,
                                    parent=None, subject=subject, measure="share")
        numbers = [a.value for a in values.areas]
        few = [a.insufficient for a in values.areas]
        classes = cp.classify([v for v, f in zip(numbers, few, strict=True) if not f])
        return cp.choropleth_figure(3, None, [a.pcode for a in values.areas],
                                    cp.class_index(numbers, classes, few),
                                    [f"{a.name_th}: {v}" for a, v in zip(values.areas, numbers,
                                                                           strict=True)],
                                    classes, geojson=geojson, height=600)

    return app


def bench_naive(browser, port: int, runs: int) -> dict:
    base = f"http://127.0.0.1:{port}"
    renders, switches, sizes = [], [], []
    for i in range(runs):
        ctx = browser.new_context(viewport={"width": 1366, "height": 900})
        page = ctx.new_page()
        if i == 0:
            _wire_sizes(page, sizes)
        page.goto(base + "/")
        handle = page.wait_for_function(READY, arg=7425, polling="raf", timeout=120_000)
        renders.append(handle.json_value() / 1000)
        if i == 0:
            for j in range(runs):
                switches.append(_switch(page, "naive-subject",
                                        ("dim:living", "dim:health")[j % 2], 7425))
        ctx.close()
    figure_bytes = [s["wire"] for s in sizes if s["url"] == "_dash-update-component"]
    return {"first_render_s": [round(r, 2) for r in renders],
            "first_render_median_s": round(statistics.median(renders), 2),
            "switch_ms": [round(v) for v in switches],
            "switch_median_ms": round(statistics.median(switches)),
            "response_bytes": max(figure_bytes, default=None)}


def serve_naive(port: int) -> None:
    import threading

    from waitress.server import create_server

    app = naive_app(["dim:health", "dim:living"])
    server = create_server(app.server, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()


# ── report ───────────────────────────────────────────────────────────────────
def markdown(res: dict) -> str:
    q, b = res["queries"], res.get("browser", {})
    lines = [f"Store: {res['households']:,} households, 2 rounds; machine: "
             f"{res['cpus']} CPUs, load average {res['load']} at the start.", ""]
    lines += ["| view | first call (reads rows) | share | M0 | contribution | k switch "
              "| change map |", "|---|---|---|---|---|---|---|"]
    for v in q["views"]:
        lines.append(f"| {v['view']} | {v['cold_ms']} ms | {v['share_ms']} ms | "
                     f"{v['M0_ms']} ms | {v['contribution_ms']} ms | {v['k_switch_ms']} ms | "
                     f"{v['change_ms']} ms |")
    lines += ["", "EXPLAIN ANALYZE: " + "; ".join(f"{k} {v} ms" for k, v in
                                                   q["explain"].items()),
              "Area profile: " + ", ".join(f"{k} {v} ms" for k, v in q["profile_ms"].items()),
              "Aggregate rows: " + ", ".join(f"{k}: {v:,}" for k, v in q["agg_rows"].items())]
    if b:
        n = b["naive"]
        lines += ["", "| national tambon map | Chipao (geometry by URL, values by Patch) "
                  "| naive (fresh figure with GeoJSON) |", "|---|---|---|",
                  f"| geometry on the wire | {b['geometry_wire_bytes']:,} B gzip "
                  f"({b['geometry_raw_bytes']:,} B raw), once | inside every response |",
                  f"| page/figure response | {b['layout_response_bytes']:,} B | "
                  f"{n['response_bytes']:,} B |",
                  f"| first full render (median) | {b['first_render_median_s']} s | "
                  f"{n['first_render_median_s']} s |",
                  f"| dimension switch repaint (median) | {b['switch_median_ms']['dimension']} ms"
                  f" | {n['switch_median_ms']} ms |",
                  f"| switch response | {b['switch_response_bytes']:,} B | "
                  f"{n['response_bytes']:,} B |",
                  "", f"First render with a cold server: {b['first_render_cold_server_s']} s; "
                  f"with the browser's cache warm: {b['first_render_warm_browser_s']} s; "
                  f"measure switch: {b['switch_median_ms']['measure']} ms; province view by "
                  f"URL: {b['province_view_s']} s; dashboard worker peak RSS: "
                  f"{res['worker_peak_rss_mb']} MB."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=FULL_SCALE)
    parser.add_argument("--rebuild", action="store_true", help="reload the households")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    a = parser.parse_args()
    load = os.getloadavg()[0]
    use_database(BENCH_DB)
    setup(a.households, a.rebuild)
    res = {"households": store_households(), "cpus": os.cpu_count(), "load": round(load, 2)}
    res["queries"] = bench_queries(a.runs)
    if not a.no_browser:
        port, naive_port = _free_port(), _free_port()
        proc = start_dashboard(port)
        watch = MemoryWatch(proc.pid)
        try:
            serve_naive(naive_port)
            res["browser"] = bench_browser(port, naive_port, a.runs)
        finally:
            res["worker_peak_rss_mb"] = round(watch.stop() / 2**20)
            proc.terminate()
            proc.wait(timeout=20)
    cache = ROOT / ".cache"
    cache.mkdir(exist_ok=True)
    (cache / "bench_map.json").write_text(json.dumps(res, ensure_ascii=False, indent=1))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
