"""Map benchmark (issues 3 and 12): the map component (/map), the old path (Plotly's
choropleth_map, geometry by URL, values by Patch) and the naive figure (GeoJSON inline)
side by side in one Chromium run with software WebGL; payload sizes, query times and
the dashboard worker's memory.

    .venv/bin/python bench/bench_map.py                       # full scale (reused)
    .venv/bin/python bench/bench_map.py --households 200000   # smaller store
    .venv/bin/python bench/bench_map.py --rebuild             # reload the demo households
    .venv/bin/python bench/bench_map.py --local-store         # the store `make db` uses

Uses a database of its own (``chipao_bench_map``) in the project-managed cluster: the
real boundaries (CHIPAO_BOUNDARIES or ../shared/geodata) and N households, generated
once by ``chipao demo`` (the real generator and importer), then reused. The dashboard runs as a separate process (``chipao
serve``) so its memory is its own; headless Chromium (/usr/bin/chromium) drives it
through Playwright as a signed-in executive. The naive approach — a fresh figure with
the whole GeoJSON embedded on every change — runs as a small Dash app in this process
with the same values. Prints Markdown; writes .cache/bench_map.json.
Targets (issue 12): switch click → first frame with new colours ≤ 100 ms, first render
≤ 1.5 s (cold browser cache, warm server), geometry ≤ 600 KB, values ≤ 60 KB per switch,
drill-down ≤ 300 ms; area-level query ≤ 50 ms, worker ≤ 500 MB resident.
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
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_user, ensure_demo, login, use_database, use_local_store  # noqa: E402

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
# software WebGL, as on the users' machines without a GPU (issue 12)
CHROMIUM_ARGS = ["--no-sandbox", "--use-gl=swiftshader", "--enable-unsafe-swiftshader",
                 "--ignore-gpu-blocklist", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
NATIONAL = 7425
# Plotly pages (naive and old path): the figure shows n areas and its MapLibre is idle
PLOTLY_READY = """(n) => { const gd = document.querySelector('#map-graph .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd.data[0].locations) return false;
  const m = gd._fullLayout.map._subplot.map;
  return gd.data[0].locations.length === n && m.loaded() && !m.isMoving()
         && m.areTilesLoaded() && !gd.classList.contains('dash-graph--pending')
         ? performance.now() : false; }"""
# The component: user input (click, key) stamps t0; chipao:map-painted (dispatched inside
# MapLibre's render of the first frame with the new values) stamps t1 and reads the
# canvas' pixels back in that same frame, to check the colours really changed.
COMPONENT_PROBE = """
window.__t0 = null; window.__painted = []; window.__ready = null;
for (const type of ['click', 'keydown']) {
  document.addEventListener(type, () => { window.__t0 = performance.now(); }, true);
}
function __pixels(canvas) {
  const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
  const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
  const px = new Uint8Array(w * h * 4);
  gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
  return px;
}
document.addEventListener('chipao:map-ready', () => { window.__ready = performance.now(); });
document.addEventListener('chipao:map-painted', (e) => {
  const t1 = performance.now();
  const canvas = e.target.querySelector('canvas');
  const px = __pixels(canvas);
  const before = window.__lastPixels;
  let changed = 0, n = 0;
  if (before && before.length === px.length) {
    for (let i = 0; i < px.length; i += 4 * 7) {
      n++;
      if (px[i] !== before[i] || px[i + 1] !== before[i + 1] || px[i + 2] !== before[i + 2]) {
        changed++;
      }
    }
  }
  window.__lastPixels = px;
  // when the last callback response since the input arrived: server + network time;
  // the rest of t1 - t0 is the browser's (Dash rendering the outputs, then the map)
  const t0 = window.__t0;
  const answers = performance.getEntriesByType('resource').filter(
    r => r.name.includes('_dash-update-component') && r.startTime >= t0);
  const response = answers.length ? Math.max(...answers.map(r => r.responseEnd)) : null;
  window.__painted.push({key: e.detail.key, t1: t1, t0: t0,
                         response: response === null ? null : response - t0,
                         changed: n ? changed / n : null});
});
"""
PAINTED_WITH = """([want, count]) => { const p = window.__painted.slice(count)
  .find(x => want.every(w => x.key.includes(w))); return p || false; }"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_dashboard(port: int, ahead: bool = True):
    env = {**os.environ, "CHIPAO_MAP_AHEAD": "1" if ahead else "0"}
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
    """Bytes on the wire (compressed body) and decoded body of every callback response."""

    def done(request):
        if "_dash-update-component" in request.url:
            try:
                sizes = request.sizes()
                response = request.response()
                body = response.body() if response else b""
            except Exception:  # the page navigated away
                return
            sink.append({"wire": sizes["responseBodySize"], "body": len(body),
                         "values": _values_bytes(body)})

    page.on("requestfinished", done)


def _values_bytes(body: bytes) -> int | None:
    """Size of the map component's values store inside a callback response."""
    try:
        response = json.loads(body).get("response", {})
    except ValueError:
        return None
    for key, props in response.items():
        if '"values"' in key and "data" in props:
            return len(json.dumps(props["data"], ensure_ascii=False).encode())
    return None


def geometry_wire_bytes(base: str, path: str, storage: dict) -> tuple[int, int]:
    """(gzip bytes on the wire, raw bytes) of one geometry URL, as the signed-in browser
    gets it (its session cookie)."""
    import gzip
    import urllib.request

    cookie = "; ".join(f"{c['name']}={c['value']}" for c in storage.get("cookies", []))
    req = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip",
                                                       "Cookie": cookie})
    with urllib.request.urlopen(req) as resp:
        wire = resp.read()
    return len(wire), len(gzip.decompress(wire))


def _plotly_switch(page, control: str, value: str, n: int) -> float:
    """Plotly pages: from choosing `value` until the map shows new values and MapLibre
    is idle (the old benchmark's measure; Plotly exposes no first-frame event)."""
    page.click(f"#{control}")
    page.wait_for_selector(f"label.dash-dropdown-option:has(input[value='{value}'])")
    page.evaluate("""([sel]) => { const gd = document.querySelector('#map-graph .js-plotly-plot');
        window.__before = JSON.stringify(gd.data[0].z) + JSON.stringify(gd.data[0].text);
        window.__t0 = performance.now();
        document.querySelector(sel).click(); }""",
                  [f"label.dash-dropdown-option:has(input[value='{value}'])"])
    handle = page.wait_for_function(
        """(n) => { const gd = document.querySelector('#map-graph .js-plotly-plot');
          if (JSON.stringify(gd.data[0].z) + JSON.stringify(gd.data[0].text)
              === window.__before) return false;
          const m = gd._fullLayout.map._subplot.map;
          return gd.data[0].locations.length === n && m.loaded() && !m.isMoving()
                 && m.areTilesLoaded() && !gd.classList.contains('dash-graph--pending')
                 ? performance.now() - window.__t0 : false; }""",
        arg=n, polling="raf", timeout=60_000)
    return handle.json_value()


def _painted(page, want: list[str], count: int) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(PAINTED_WITH, arg=[want, count],
                                      timeout=60_000).json_value()
    except PlaywrightTimeout:  # say what the page shows instead
        shown = page.evaluate("""() => ({url: location.search,
            painted: window.__painted.slice(-4).map(p => p.key)})""")
        raise SystemExit(f"no paint with {want} after 60 s: {shown}") from None


# the component has fetched the views ahead of the one the server last drew
AHEAD_READY = """() => { const f = document.querySelector('.chipao-map:has(#map-view)');
  return !f.dataset.ahead && f.dataset.mapAheadKey === f.dataset.mapValues; }"""


FIRST_RENDER_PARTS = """() => {
  const r = performance.getEntriesByType('resource');
  const end = (f) => Math.max(0, ...r.filter(f).map(e => e.responseEnd));
  const nav = performance.getEntriesByType('navigation')[0];
  return {html_ms: nav ? nav.responseEnd : null,
          scripts_ms: end(e => e.initiatorType === 'script'),
          callbacks_ms: end(e => e.name.includes('_dash-update-component')),
          ...Object.fromEntries(['create', 'style', 'geometry', 'painted'].map(m => {
            const e = performance.getEntriesByName('chipao-map:' + m)[0];
            return ['map_' + m + '_ms', e ? e.startTime : null]; })),
          painted_ms: window.__ready}; }"""


def _component_switch(page, act, want: list[str], ahead: bool = False) -> dict:
    """The component: user input → first frame with the new values (pixels checked).
    `ahead`: first wait until the component has fetched the next views (as it does
    while a user reads the map), so the switch is drawn from them."""
    if ahead:
        page.wait_for_function(AHEAD_READY, timeout=180_000)
    count = page.evaluate("() => window.__painted.length")
    act()
    p = _painted(page, want, count)
    return {"ms": p["t1"] - p["t0"], "response_ms": p["response"], "changed": p["changed"]}


def _choose(page, control: str, value: str):
    def act():
        page.click(f"#{control}")
        page.click(f"label.dash-dropdown-option:has(input[value='{value}'])")
    return act


def _type_k(page, value: str, per_key_ms: int | None = None):
    """k set at once (pasted, then Enter), or typed a key every `per_key_ms` as a person
    types; the switch is timed from the Enter (the probe's last keydown)."""
    def act():
        if per_key_ms is None:
            page.fill("#map-k", value)
        else:
            page.click("#map-k", click_count=3)
            page.keyboard.type(value, delay=per_key_ms)
            page.wait_for_timeout(per_key_ms)
        page.press("#map-k", "Enter")
    return act


PER_KEY_MS = 200  # a person typing digits into a field: ~5 keys a second


def bench_component(browser, base: str, storage: dict, runs: int, ahead: bool = True,
                    renders: int | None = None) -> dict:
    """The real /map page with the map component (national tambons). `ahead`: the
    dashboard fetches views ahead (CHIPAO_MAP_AHEAD) and dimension and measure switches
    wait for them first; `renders`: first renders to time (default `runs`)."""
    out: dict = {"first_render_s": [], "switch": {}, "drill": []}
    sizes: list = []
    for i in range(runs if renders is None else renders):  # fresh browser cache, warm server
        ctx = browser.new_context(viewport={"width": 1366, "height": 900},
                                  storage_state=storage)
        page = ctx.new_page()
        page.add_init_script(COMPONENT_PROBE)
        geo: list = []  # the geometry's requests (tiles, labels, files), MapLibre's worker's too
        page.on("requestfinished", lambda r, geo=geo: "/geo/" in r.url and geo.append(r))
        page.goto(f"{base}/map?level=3")
        page.wait_for_function("() => window.__ready", timeout=120_000)
        page.wait_for_function(PAINTED_WITH, arg=[["level=3"], 0])
        out.setdefault("first_render_geo_bytes", []).append(
            sum(r.sizes()["responseBodySize"] for r in list(geo)))
        # performance.now() counts from the navigation's start
        out["first_render_s"].append(page.evaluate("() => window.__ready") / 1000)
        # where the first render's time goes: the page's callbacks (the router's layout
        # among them) answered, the geometry arrived, then MapLibre's first paint
        out.setdefault("first_render_parts", []).append(page.evaluate(FIRST_RENDER_PARTS))
        if i == 0:
            _wire_sizes(page, sizes)
            switches = {
                "dimension": [(_choose(page, "map-subject", v), [v.replace(":", "%3A")])
                              for v in ("dim:living", "dim:health") * runs][:runs],
                "measure": [(_choose(page, "map-measure", v), [f"measure={v}"])
                            for v in ("M0", "share") * runs][:runs],
                "k": [(_type_k(page, v), [f"k={v}"]) for v in ("0.2", "0.4") * runs][:runs],
                # new values each time, so nothing was fetched before the typing began
                "k_typed": [(_type_k(page, f"{0.21 + 0.02 * j:.2f}", PER_KEY_MS),
                             [f"k={0.21 + 0.02 * j:.2f}"]) for j in range(runs)],
                "round": [(_choose(page, "shell-round", str(v)), [f"round={v}"])
                          for v in _round_years(page) * runs][:runs],
            }
            for name, acts in switches.items():
                out["switch"][name] = [
                    _component_switch(page, act, want, ahead and name in AHEAD_SWITCHES)
                    for act, want in acts]
            out["values_bytes"] = max((s["values"] or 0) for s in sizes)
            out["switch_response_wire"] = max(s["wire"] for s in sizes)
            out["switch_response_body"] = max(s["body"] for s in sizes)
        ctx.close()
    for _ in range(runs if renders is None else renders):  # province → district → tambon
        ctx = browser.new_context(viewport={"width": 1366, "height": 900},
                                  storage_state=storage)
        page = ctx.new_page()
        page.add_init_script(COMPONENT_PROBE)
        page.goto(f"{base}/map")
        page.wait_for_function("() => window.__ready", timeout=120_000)
        _page_settled(page)
        steps = []
        for pcode in ("TH30", "TH3001"):
            if ahead:  # a user points at the area first (here: its keyboard focus),
                # once the previous step's view is the page's own (its answer came)
                page.wait_for_function(
                    "() => !document.querySelector('.chipao-map:has(#map-view)').dataset.ahead",
                    timeout=120_000)
                page.evaluate("(p) => window.chipaoMaps['map-view'].focusArea(p)", pcode)
                page.wait_for_function(
                    """(p) => (document.querySelector('.chipao-map:has(#map-view)')
                       .dataset.mapDrillAhead || '').includes('area=' + p)""",
                    arg=pcode, timeout=120_000)
            count = page.evaluate("() => window.__painted.length")
            page.evaluate("(p) => { window.__t0 = performance.now(); "
                          "window.chipaoMaps['map-view'].select(p); }", pcode)
            p = _painted(page, [f"area={pcode}"], count)
            steps.append(p["t1"] - p["t0"])
        out["drill"].append(steps)
        ctx.close()
    return out


def _page_settled(page) -> None:
    """Wait, as a reader looking at the map would, until the page has finished drawing
    (the panel's Plotly trend chart is the last piece): a click while plotly.js is still
    loading waits ~1 s for the browser's main thread."""
    page.wait_for_selector("#map-panel-trend-chart .main-svg", timeout=120_000)


AHEAD_SWITCHES = ("dimension", "measure", "round")  # the controls it fetches ahead for
VILLAGE_DISTRICT = "TH3001"  # Mueang Nakhon Ratchasima: the district the drill-down opens


def bench_villages(browser, base: str, runs: int) -> list[float]:
    """A district's villages: a provincial officer on the district's tambon map chooses
    the village level; ms from the click to the first frame with the villages' colours
    (the component waits for the village tiles before it reports the paint). Each run
    has its own cut-off k, so no run finds the village figures the one before kept."""
    username, password = create_user("province", (VILLAGE_DISTRICT[:4],))
    times = []
    for i in range(runs):  # fresh browser cache each time, warm server
        ctx = browser.new_context(viewport={"width": 1366, "height": 900})
        page = ctx.new_page()
        page.add_init_script(COMPONENT_PROBE)
        view = f"/map?level=3&area={VILLAGE_DISTRICT}&k={0.3 + 0.01 * (i % 30):.2f}"
        login(page, base, username, password, next_path=quote(view, safe="/"))
        page.wait_for_function("() => window.__ready", timeout=120_000)
        _page_settled(page)
        count = page.evaluate("() => window.__painted.length")
        page.locator("#map-level input[value='4']").check()
        p = _painted(page, ["level=4"], count)
        times.append(p["t1"] - p["t0"])
        ctx.close()
    return times


def _round_years(page) -> list[int]:
    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        years = list(conn.execute(text("SELECT year_be FROM survey_round ORDER BY year_be"))
                     .scalars())
    return years[:2] if len(years) > 1 else years


def bench_plotly(browser, base: str, control: str, runs: int) -> dict:
    """A Plotly page (naive or old path): cold-cache first render and subject switches."""
    renders, switches, sizes = [], [], []
    for i in range(runs):
        ctx = browser.new_context(viewport={"width": 1366, "height": 900})
        page = ctx.new_page()
        if i == 0:
            _wire_sizes(page, sizes)
        page.goto(base + "/")
        handle = page.wait_for_function(PLOTLY_READY, arg=NATIONAL, polling="raf",
                                        timeout=180_000)
        renders.append(handle.json_value() / 1000)
        if i == 0:
            for j in range(runs):
                switches.append(_plotly_switch(page, control,
                                               ("dim:living", "dim:health")[j % 2], NATIONAL))
        ctx.close()
    return {"first_render_s": [round(r, 2) for r in renders],
            "first_render_median_s": round(statistics.median(renders), 2),
            "switch_ms": [round(v) for v in switches],
            "switch_median_ms": round(statistics.median(switches)),
            "response_bytes": max((s["wire"] for s in sizes), default=None)}


def bench_browser(port: int, naive_port: int, old_port: int, runs: int,
                  no_ahead_port: int | None = None) -> dict:
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
        page.add_init_script(COMPONENT_PROBE)
        login(page, base, username, password, next_path="/map")
        out["webgl"] = page.evaluate("""() => { const gl = document.createElement('canvas')
            .getContext('webgl2'); const i = gl.getExtension('WEBGL_debug_renderer_info');
            return i ? gl.getParameter(i.UNMASKED_RENDERER_WEBGL) : 'webgl2'; }""")
        t0 = time.perf_counter()
        page.goto(f"{base}/map?level=3")
        page.wait_for_function("() => window.__ready", timeout=180_000)
        out["first_render_cold_server_s"] = round(time.perf_counter() - t0, 2)
        storage = ctx.storage_state()
        ctx.close()
        from geodata.serve import geometry_url

        out["geometry_national"] = geometry_wire_bytes(base, geometry_url(3), storage)
        out["geometry_provinces"] = geometry_wire_bytes(base, geometry_url(1), storage)
        out["component"] = bench_component(browser, base, storage, runs)
        if no_ahead_port is not None:  # the same page, every switch from the server
            out["component_no_ahead"] = bench_component(
                browser, f"http://127.0.0.1:{no_ahead_port}", storage, runs, ahead=False,
                renders=1)
        out["villages_ms"] = bench_villages(browser, base, runs)
        out["old"] = bench_plotly(browser, f"http://127.0.0.1:{old_port}", "old-subject", runs)
        out["naive"] = bench_plotly(browser, f"http://127.0.0.1:{naive_port}", "naive-subject",
                                    runs)
        browser.close()
    return out


# ── the Plotly baselines ─────────────────────────────────────────────────────
def _plotly_values(scope, catalogue, latest, subject):
    from components import choropleth as cp
    from queries import mpi
    from queries.db import scoped

    with scoped(scope) as conn:
        values = mpi.map_values(conn, scope, catalogue, round_id=latest, level=3,
                                parent=None, subject=subject, measure="share")
    numbers = [a.value for a in values.areas]
    few = [a.insufficient for a in values.areas]
    classes = cp.classify([v for v, f in zip(numbers, few, strict=True) if not f])
    texts = [f"{a.name_th}: {v}" for a, v in zip(values.areas, numbers, strict=True)]
    return values, classes, cp.class_index(numbers, classes, few), texts


def plotly_app(subjects: list[str], old: bool):
    """naive (old=False): a fresh figure with the full GeoJSON embedded on every change.
    old (old=True): what /map did before the component — Plotly's choropleth_map with
    the geometry by URL and only values patched (dash.Patch) on a switch."""
    import dash
    from dash import Input, Output, dcc, html

    from bench import plotly_maps as pm
    from chipao.domain.scope import Role, Scope
    from geodata.serve import geometry_url, register_geometry_routes
    from queries import areas, mpi
    from queries.db import scoped

    scope = Scope("bench", Role.EXECUTIVE)
    with scoped(scope) as conn:
        geojson = None if old else json.loads(areas.area_geojson(conn, 3))
        catalogue = mpi.load_catalogue(conn)
        latest = conn.exec_driver_sql(
            "SELECT round_id FROM survey_round ORDER BY year_be DESC LIMIT 1").scalar()
    control = "old-subject" if old else "naive-subject"
    app = dash.Dash(__name__, serve_locally=True, compress=old)
    if old:
        register_geometry_routes(app.server)
    app.layout = html.Div([dcc.Dropdown(id=control, options=subjects,
                                        value=subjects[0], clearable=False),
                           dcc.Graph(id="map-graph", style={"height": "600px"})])

    @app.callback(Output("map-graph", "figure"), Input(control, "value"))
    def draw(subject):
        values, classes, z, texts = _plotly_values(scope, catalogue, latest, subject)
        if old and dash.ctx.triggered_id == control:
            return pm.values_patch(None, z, texts, classes)
        return pm.choropleth_figure(3, None, [a.pcode for a in values.areas], z, texts,
                                    classes, geojson=geometry_url(3) if old else geojson,
                                    height=600)

    return app


def serve_plotly(port: int, old: bool) -> None:
    import threading

    from waitress.server import create_server

    app = plotly_app(["dim:health", "dim:living"], old)
    server = create_server(app.server, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()


# ── report ───────────────────────────────────────────────────────────────────
def _med(values) -> float:
    return statistics.median(values)


def _no_ahead_rows(b: dict, drill: bool = False) -> list[str]:
    """The same switches (or drill-downs) on a dashboard that fetches nothing ahead
    (CHIPAO_MAP_AHEAD=0)."""
    c = b.get("component_no_ahead")
    if not c:
        return []
    if drill:
        runs = {what: [d[i] for d in c["drill"]] for i, what in
                enumerate(("province → its districts", "district → its tambons"))}
    else:
        runs = {f"{name} switch": [x["ms"] for x in c["switch"][name]]
                for name in AHEAD_SWITCHES}
    return [f"| {what} without views fetched ahead (CHIPAO_MAP_AHEAD=0) | "
            f"{_med(ms):.0f} ms | – | – | – |" for what, ms in runs.items()]


def markdown(res: dict) -> str:
    q, b = res["queries"], res.get("browser", {})
    lines = [f"Store: {res['households']:,} households; machine: {res['cpus']} CPUs, "
             f"load average {res['load']} at the start.", ""]
    lines += ["| view | first call (reads rows) | share | M0 | contribution | k switch "
              "| change map |", "|---|---|---|---|---|---|---|"]
    for v in q["views"]:
        lines.append(f"| {v['view']} | {v['cold_ms']} ms | {v['share_ms']} ms | "
                     f"{v['M0_ms']} ms | {v['contribution_ms']} ms | {v['k_switch_ms']} ms | "
                     f"{v['change_ms']} ms |")
    if b:
        c, o, n = b["component"], b["old"], b["naive"]
        sw = {k: [x["ms"] for x in v] for k, v in c["switch"].items()}
        answered = [x["response_ms"] for x in c["switch"]["dimension"]
                    if x.get("response_ms") is not None]
        changed = min(x["changed"] for v in c["switch"].values() for x in v
                      if x["changed"] is not None)
        gz, raw = b["geometry_national"]
        drill = [d[0] for d in c["drill"]], [d[1] for d in c["drill"]]
        lines += ["", f"WebGL: {b['webgl']}. Medians of {len(c['first_render_s'])} runs.", "",
                  "| national tambon map (7,425 areas) | map component | old path (Plotly, "
                  "geometry by URL, Patch) | naive (Plotly, GeoJSON inline) | target |",
                  "|---|---|---|---|---|",
                  f"| first render, cold browser cache, warm server | "
                  f"**{_med(c['first_render_s']):.2f} s** | {o['first_render_median_s']} s | "
                  f"{n['first_render_median_s']} s | ≤ 1.5 s |",
                  f"| dimension switch, click → first frame with new colours | "
                  f"**{_med(sw['dimension']):.0f} ms** | {o['switch_median_ms']} ms (to idle) | "
                  f"{n['switch_median_ms']} ms (to idle) | ≤ 100 ms |",
                  "| … of which until the last callback response arrived (server + network) | "
                  + (f"{_med(answered):.0f} ms" if answered
                     else "none: drawn from a view fetched ahead, before any answer")
                  + " | – | – | – |",
                  f"| measure switch | **{_med(sw['measure']):.0f} ms** | – | – | ≤ 100 ms |",
                  *_no_ahead_rows(b),
                  f"| k switch, pasted then Enter | **{_med(sw['k']):.0f} ms** | – | – "
                  "| ≤ 100 ms |",
                  f"| k switch, typed (a key every {PER_KEY_MS} ms) then Enter | "
                  f"**{_med(sw['k_typed']):.0f} ms** | – | – | ≤ 100 ms |",
                  f"| round switch | **{_med(sw['round']):.0f} ms** | – | – | ≤ 100 ms |",
                  f"| geometry on the wire | **{_med(c['first_render_geo_bytes']):,.0f} B** "
                  f"(the tiles on screen and the labels, gzip), once; as one GeoJSON file "
                  f"{gz:,} B gzip ({raw:,} B raw) | the file | inside every response "
                  f"| ≤ 600 KB |",
                  f"| values per switch | **{c['values_bytes']:,} B** (values store); whole "
                  f"response {c['switch_response_wire']:,} B gzip "
                  f"({c['switch_response_body']:,} B) | {o['response_bytes']:,} B | "
                  f"{n['response_bytes']:,} B | ≤ 60 KB |",
                  f"| province → its districts (pointed at first) | **{_med(drill[0]):.0f} ms** "
                  f"| – | – | ≤ 300 ms |",
                  f"| district → its tambons (pointed at first) | **{_med(drill[1]):.0f} ms** "
                  f"| – | – | ≤ 300 ms |",
                  *_no_ahead_rows(b, drill=True),
                  f"| a district's villages (level control → first frame with the villages' "
                  f"colours, tiles loaded) | **{_med(b['villages_ms']):.0f} ms** | – | – "
                  f"| ≤ 500 ms |",
                  "", f"Every timed switch changed ≥ {100 * changed:.0f}% of the sampled canvas "
                  "pixels in that first frame (read back with gl.readPixels inside the "
                  "chipao:map-painted event). First render right after the server starts: "
                  f"{b['first_render_cold_server_s']} s; dashboard worker peak RSS: "
                  f"{res['worker_peak_rss_mb']} MB. Raw runs: .cache/bench_map.json."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=FULL_SCALE)
    parser.add_argument("--rebuild", action="store_true", help="reload the households")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--local-store", action="store_true",
                        help="measure the store `make db` uses, as it is (no demo load)")
    a = parser.parse_args()
    load = os.getloadavg()[0]
    if a.local_store:
        use_local_store()
    else:
        use_database(BENCH_DB)
        setup(a.households, a.rebuild)
    res = {"households": store_households(), "cpus": os.cpu_count(), "load": round(load, 2)}
    res["queries"] = bench_queries(a.runs)
    if not a.no_browser:
        port, naive_port, old_port = _free_port(), _free_port(), _free_port()
        no_ahead_port = _free_port()
        proc = start_dashboard(port)
        no_ahead = start_dashboard(no_ahead_port, ahead=False)
        watch = MemoryWatch(proc.pid)
        try:
            serve_plotly(naive_port, old=False)
            serve_plotly(old_port, old=True)
            res["browser"] = bench_browser(port, naive_port, old_port, a.runs, no_ahead_port)
        finally:
            res["worker_peak_rss_mb"] = round(watch.stop() / 2**20)
            for p in (proc, no_ahead):
                p.terminate()
                p.wait(timeout=20)
    cache = ROOT / ".cache"
    cache.mkdir(exist_ok=True)
    (cache / "bench_map.json").write_text(json.dumps(res, ensure_ascii=False, indent=1))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
