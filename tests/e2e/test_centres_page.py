"""/centres against the real dashboard and a real PostGIS: in headless Chromium (the map
with its centres, the coverage figure equal to SQL, the bivariate view, the planner as
a background callback with its result) and through the Flask test client (the CSV
export, and household lists only for record roles)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

from chipao.domain.coverage_planner import plan_sites
from chipao.domain.scope import SYSTEM
from components.formatting import fmt_datetime
from queries import centres as q
from queries.db import owner
from tests import factory as fx
from tests.auth_helpers import callback_body, client_for, create_user, login, page_body

MAP = "window.chipaoMaps['centres-map']"
# the map component painted `n` areas (components/map_view.py: the frame's data-*)
READY = """(n) => { const f = document.querySelector('.chipao-map:has(#centres-map)');
  return !!f && f.dataset.mapReady === '1' && f.dataset.mapAreas === String(n)
         && !document.querySelector('[data-dash-is-loading="true"]'); }"""


def _points(page) -> list[dict]:
    return page.evaluate(f"() => {MAP}.points()")


@pytest.fixture(scope="module")
def store(database):
    with fx.centres_store() as info:
        yield info


def _expected_share(area: str, d: int) -> float:
    with owner() as conn:
        return q.coverage_summary(conn, SYSTEM, 2, area, d)["share_within"]


# ── in the browser ───────────────────────────────────────────────────────────
@pytest.mark.browser
def test_page_map_coverage_and_planner(store, live_server, page):
    user = create_user("executive")
    login(page, live_server, *user, next_path="/centres")
    page.goto(f"{live_server}/centres?round=2566&area=TH50&d=10")
    page.wait_for_function(READY, arg=5, timeout=30_000)  # the 5 tambons of TH50
    within = page.inner_text("#centres-kpi-within .kpi-value")
    assert within == f"{100 * _expected_share('TH50', 10):.1f}%"
    centres = _points(page)
    assert len(centres) == 3  # open and planned (the default filter) in TH50
    assert "ศูนย์ทดสอบ C-500101" in " ".join(p["label"] for p in centres)

    # each tambon's hover (keyboard focus shows it) names its own coverage
    with owner() as conn:
        reach = {r["pcode"]: r["share_within"]
                 for r in q.coverage_by_area(conn, SYSTEM, 2, 3, "TH50", 10)}
    pcodes = page.evaluate(f"() => {MAP}.areas()")
    assert sorted(pcodes) == sorted(reach)
    for pcode in pcodes:
        page.evaluate(f"(p) => {MAP}.focusArea(p)", pcode)
        hover = page.inner_text(f".chipao-map-tooltip[data-pcode='{pcode}']")
        assert f"{100 * reach[pcode]:.1f}%" in hover.rsplit(":", 1)[-1], pcode
        assert page.evaluate(f"(p) => {MAP}.featureState(p).fill", pcode)

    # the bivariate view: nine classes and their key
    page.locator("#centres-view").get_by_text("ความยากจน × ระยะทาง", exact=True).click()
    page.wait_for_selector("#centres-legend-bivariate", timeout=15_000)
    assert page.locator("#centres-legend-bivariate .bivar-cell").count() == 9
    from components.centre_widgets import BIVARIATE

    page.wait_for_function(f"""() => {MAP}.areas().some(p => {{
        const s = {MAP}.featureState(p); return s.c >= 0 && s.fill === {MAP}.values().colors[s.c]
        && {MAP}.values().colors.length === 9; }})""", timeout=15_000)
    assert page.evaluate(f"() => {MAP}.values().colors") == BIVARIATE

    # the planner runs in the background and shows its progress, then the result
    page.fill("#centres-plan-n", "2")
    page.click("#centres-plan-run")
    page.wait_for_selector("#centres-plan-table", timeout=60_000)
    rows = page.locator("#centres-plan-table tbody tr")
    with owner() as conn:
        inputs = q.planner_inputs(conn, SYSTEM, 2, 10, "TH50")
    want = plan_sites(inputs.demand_lon, inputs.demand_lat, inputs.demand_poor,
                      inputs.site_lon, inputs.site_lat, 10_000.0, 2)
    assert rows.count() == len(want.sites) >= 1
    first = rows.nth(0).inner_text()
    assert inputs.site_pcode[want.sites[0].index] in first
    assert f"{want.sites[0].gain:,}" in first
    page.wait_for_function(f"() => {MAP}.points().length === 3 + {len(want.sites)}",
                           timeout=15_000)
    assert page.locator("#centres-plan-households-box").is_hidden()  # executives: no lists
    assert page.errors == []


@pytest.mark.browser
def test_bad_area_gives_a_message(store, live_server, page):
    user = create_user("executive")
    login(page, live_server, *user, next_path="/centres")
    page.goto(f"{live_server}/centres?area=TH99")
    page.wait_for_selector("#centres-error", timeout=20_000)
    assert "TH99" in page.inner_text("#centres-error")


# ── through the Flask test client ────────────────────────────────────────────
def _outputs(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.loads(response.get_data(as_text=True))["response"]


def _find(tree, component_id: str) -> dict | None:
    """The props of the component with this id in a serialised layout."""
    if isinstance(tree, dict):
        if tree.get("id") == component_id:
            return tree
        for value in tree.values():
            found = _find(value, component_id)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for value in tree:
            found = _find(value, component_id)
            if found is not None:
                return found
    return None


def test_layout_renders_for_an_executive(store, app_server):
    client = client_for(app_server, *create_user("executive"))
    body = _outputs(client.post_callback(page_body("/centres?area=TH5001&d=7")))
    text_ = json.dumps(body, ensure_ascii=False)
    assert "centres-distance" in text_ and "centres-plan-run" in text_
    box = _find(body, "centres-plan-households-box")
    assert box["style"] == {"display": "none"}  # no household lists for executives


def test_a_committee_opens_at_its_own_area(store, app_server):
    """A district committee lands on its district; area=TH still shows the country."""
    client = client_for(app_server, *create_user("district", areas=("TH5001",)))
    body = _outputs(client.post_callback(page_body("/centres")))
    assert _find(body, "centres-province")["value"] == "TH50"
    assert _find(body, "centres-district")["value"] == "TH5001"
    body = _outputs(client.post_callback(page_body("/centres?area=TH")))
    assert _find(body, "centres-province")["value"] is None


def test_gap_exports_equal_the_table_and_are_audited(store, app_server):
    import csv
    import io
    from urllib.parse import unquote

    from openpyxl import load_workbook

    client = client_for(app_server, *create_user("province", areas=("TH50",)))
    # the table the page shows for this view, and its download links
    request = callback_body("centres-gap", "children", inputs=[
        {"id": "centres-province", "property": "value", "value": "TH50"},
        {"id": "centres-district", "property": "value", "value": None},
        {"id": "centres-distance", "property": "value", "value": 5},
        {"id": "centres-gap-level", "property": "value", "value": 3},
        {"id": "centres-gap-sort", "property": "value", "value": "beyond"},
        {"id": "shell-round", "property": "value", "value": 2566}])
    request["output"] = ("..centres-gap.children...centres-gap-note.children..."
                         "centres-gap-export-csv.href...centres-gap-export-xlsx.href..")
    request["outputs"] = [{"id": i, "property": p} for i, p in (
        ("centres-gap", "children"), ("centres-gap-note", "children"),
        ("centres-gap-export-csv", "href"), ("centres-gap-export-xlsx", "href"))]
    out = _outputs(client.post_callback(request))
    href = out["centres-gap-export-csv"]["href"]
    assert href.startswith("/export/centres/gaps.csv?") and "d=5" in href and "area=TH50" in href
    shown = [[str(td["props"]["children"]) for td in tr["props"]["children"]]
             for tr in _find(out["centres-gap"]["children"], "centres-gap-table")["children"][1]
             ["props"]["children"]]
    response = client.get(href)
    assert response.status_code == 200
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert not any(r and r[0].startswith("#") for r in rows)  # one table, nothing after it
    with owner() as conn:
        want = q.coverage_by_area(conn, SYSTEM, 2, 3, "TH50", 5)
        logged = conn.execute(text(
            "SELECT count(*) FROM audit_log WHERE action = 'export' "
            "AND target = 'centres-gaps:TH50'")).scalar_one()
    assert len(rows) - 1 == len(want) == 5 and logged >= 1

    def norm(v: str) -> str:
        v = v.replace(",", "")
        try:
            return str(float(v))  # the file's 100 is the page's 100.0
        except ValueError:
            return "" if v == "–" else v
    assert [[norm(c) for c in r] for r in rows[1:len(shown) + 1]] == \
        [[norm(c) for c in r] for r in shown]
    xlsx = client.get(out["centres-gap-export-xlsx"]["href"])
    name = unquote(xlsx.headers["Content-Disposition"].split("UTF-8''")[1])
    assert name.endswith("-2566-ช่องว่างบริการ-5km.xlsx"), name
    book = load_workbook(io.BytesIO(xlsx.get_data()))
    assert len(book.sheetnames) == 2
    notes = list(book.worksheets[1].iter_rows(values_only=True))
    assert any("2566" in str(v) for _, v in notes) and any(v == "5" for _, v in notes)
    # a role that may not open /centres gets no export either
    admin = client_for(app_server, *create_user("admin"))
    assert admin.get(href).status_code == 403


def _households_request(plan: dict) -> dict:
    return callback_body("centres-plan-households", "children", inputs=[
        {"id": "centres-plan-site", "property": "value", "value": 1}], state=[
        {"id": "centres-plan-store", "property": "data", "value": plan}])


def test_household_lists_only_for_record_roles(store, app_server):
    plan = {"year": 2566, "distance": 6, "n": 1,
            "sites": [{"rank": 1, "lon": 100.15, "lat": 14.25, "pcode": "TH400102"}]}
    officer = client_for(app_server, *create_user("district", areas=("TH4001",)))
    shown = json.dumps(_outputs(officer.post_callback(_households_request(plan))),
                       ensure_ascii=False)
    assert "centres-households-table" in shown
    executive = client_for(app_server, *create_user("executive"))
    refused = executive.post_callback(_households_request(plan))
    assert refused.status_code == 204  # PreventUpdate: nothing sent


@pytest.mark.browser
def test_view_in_the_url_slider_marks_and_planner_export(store, live_server, page, tmp_path):
    """Province, district and distance travel in the address (a shared link reproduces
    the view); a click on the 5 km mark gives 5 km; no tooltip covers the note; the
    "where to open next" result downloads as CSV and XLSX (chipao.exports)."""
    import csv
    import io
    import re

    from openpyxl import load_workbook
    from playwright.sync_api import expect

    login(page, live_server, *create_user("executive"), next_path="/centres")
    page.goto(f"{live_server}/centres?round=2566&area=TH50&d=10")
    page.wait_for_function(READY, arg=5, timeout=30_000)
    box = page.locator("#centres-distance input[type=number]")
    expect(box).to_have_value("10")
    page.locator("#centres-distance .dash-slider-mark").filter(
        has_text=re.compile(r"^5$")).click()
    page.wait_for_function("() => location.search.includes('d=5')", timeout=10_000)
    expect(box).to_have_value("5")
    expect(page.locator("#centres-kpi-within")).to_contain_text("5 กม.", timeout=15_000)
    # hovering the thumb shows nothing over the note below the slider
    page.hover("#centres-distance [role=slider]")
    note = page.locator("#centres-distance ~ .figure-note").first.bounding_box()
    for tip in page.locator(".dash-slider-tooltip").all():
        if tip.is_visible():
            b = tip.bounding_box()
            assert b["y"] + b["height"] <= note["y"] or b["y"] >= note["y"] + note["height"]
    # a district: in the address too; the link reproduces the view
    page.click("#centres-district")
    page.click("label.dash-dropdown-option:has(input[value='TH5001'])")
    page.wait_for_function("() => location.search.includes('area=TH5001')", timeout=10_000)
    shared = page.url
    assert "round=2566" in shared and "d=5" in shared
    other = page.context.new_page()
    other.goto(shared)
    expect(other.locator("#centres-distance input[type=number]")).to_have_value("5")
    expect(other.locator("#centres-kpi-within")).to_contain_text("5 กม.", timeout=30_000)
    with owner() as conn:
        district = conn.execute(text("SELECT name_th FROM area WHERE pcode = 'TH5001'")).scalar()
    expect(other.locator("#centres-district")).to_contain_text(district)
    other.close()
    # the planner's result, downloaded
    page.fill("#centres-plan-n", "2")
    page.click("#centres-plan-run")
    page.wait_for_selector("#centres-plan-table", timeout=60_000)
    shown = page.locator("#centres-plan-table tbody tr").count()
    with page.expect_download() as got:
        page.click("#centres-plan-export-xlsx")
    wb = load_workbook(io.BytesIO(got.value.path().read_bytes()))
    table = list(wb.worksheets[0].iter_rows(values_only=True))
    assert table[0][0] == "ลำดับ" and len(table) - 1 == shown
    notes = {r[0]: r[1] for r in wb.worksheets[1].iter_rows(values_only=True)}
    assert notes["รอบการสำรวจ"] == "พ.ศ. 2566" and notes["ระยะทาง (กม.)"] == "5"
    with owner() as conn:  # the data date the page states (the coverage refresh)
        refreshed = conn.execute(text("SELECT refreshed_at FROM coverage_refresh")).scalar()
    assert notes["ข้อมูล ณ"] == fmt_datetime(refreshed, "th")
    with page.expect_download() as got:
        page.click("#centres-plan-export-csv")
    raw = open(got.value.path(), encoding="utf-8-sig").read()
    assert len(list(csv.reader(io.StringIO(raw)))) - 1 == shown
    assert page.errors == []


def test_map_picture_says_what_it_shows(store, app_server):
    from urllib.parse import unquote

    client = client_for(app_server, *create_user("province", areas=("TH50",)))
    query = "?round=2566&area=TH50&d=5&level=3&view=poverty&measure=poor"
    png = client.get("/export/centres/map.png" + query)
    assert png.status_code == 200 and png.get_data()[:4] == b"\x89PNG"
    name = unquote(png.headers["Content-Disposition"].split("UTF-8''")[1])
    assert "-2566-" in name and name.endswith(".png"), name
    svg = client.get("/export/centres/map.svg" + query.replace("poverty", "bivariate"))
    assert svg.status_code == 200 and b"<svg" in svg.get_data()[:2000]
    # the centres are drawn, in their status colours, as the page shows them
    from components.centre_widgets import STATUS_COLOURS

    def dots(status: str) -> int:
        r = client.get("/export/centres/map.png" + query + f"&status={status}")
        pixels = np.asarray(Image.open(io.BytesIO(r.get_data())).convert("RGB"))
        pixels = pixels[:, : int(pixels.shape[1] * 0.70)]  # the map, not its legend
        colour = tuple(int(STATUS_COLOURS["open"][i:i + 2], 16) for i in (1, 3, 5))
        return int((pixels == colour).all(axis=2).sum())

    with owner() as conn:
        open_here = conn.execute(text("SELECT count(*) FROM centre WHERE status = 'open' "
                                      "AND tambon_pcode LIKE 'TH50%'")).scalar()
    assert open_here > 0
    assert dots("open") > dots("none") + 20 * open_here  # each dot, a few pixels wide
    # the page offers it, and the presentation link
    body = json.dumps(_outputs(client.post_callback(page_body("/centres?area=TH50&d=5"))),
                      ensure_ascii=False)
    assert "/export/centres/map.png?" in body and "present=1" in body


def _coloured(png: bytes) -> float:
    """The share of strongly coloured pixels (a blank or grey picture has none)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return float(((pixels.max(axis=2) - pixels.min(axis=2)) > 60).mean())


@pytest.mark.browser
def test_print_and_presentation_of_the_centres_page(store, live_server, page, tmp_path):
    """Ctrl+P gives the server's picture of this very map (WebGL does not print), no
    controls, and the view's line on every page; presentation shows the map and its
    legend on one 1366×768 screen without controls."""
    import subprocess
    from pathlib import Path

    login(page, live_server, *create_user("province", areas=("TH50",)), next_path="/centres")
    page.goto(f"{live_server}/centres?round=2566&area=TH50&d=5")
    page.wait_for_function(READY, arg=5, timeout=30_000)
    # the print image is the picture the page's PNG link gives for the view drawn
    page.wait_for_function("""() => { const i = document.querySelector(
        '.chipao-map:has(#centres-map) .chipao-map-print');
        const a = document.querySelector('#centres-map-export-png');
        return !!(i && a && i.getAttribute('src') === a.getAttribute('href') + '&purpose=print'
                  && i.complete && i.naturalWidth > 0); }""", timeout=30_000)
    page.emulate_media(media="print")
    for hidden in (".shell-navbar", "#centres-plan-run", "#centres-plan-n",
                   ".centres-map-controls", "#centres-present", ".chipao-map:has(#centres-map) .chipao-map-canvas"):
        assert not page.is_visible(hidden), hidden
    assert page.is_visible(".chipao-map:has(#centres-map) .chipao-map-print")
    stamp = page.inner_text("#centres-print-stamp")
    assert "2566" in stamp and "5 กม." in stamp, stamp
    pdf = tmp_path / "centres.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "img")], check=True)
    images = sorted(Path(tmp_path).glob("img-*.png"))
    biggest = max(images, key=lambda p: Image.open(p).size[0] * Image.open(p).size[1])
    assert Image.open(biggest).size[0] >= 600 and _coloured(biggest.read_bytes()) > 0.05
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "แผนที่ความยากจน" not in text  # no navigation (the navbar's link to /map)
    assert text.count("OCHA") >= text.count("\x0c") >= 1  # the stamp on every page
    # presentation
    page.emulate_media(media="screen")
    page.goto(f"{live_server}/centres?round=2566&area=TH50&d=5&present=1")
    page.wait_for_function(READY, arg=5, timeout=30_000)
    assert page.evaluate("document.documentElement.classList.contains('present')")
    for hidden in (".shell-navbar", ".centres-controls", "#centres-planner", ".export-links"):
        assert not page.is_visible(hidden), hidden
    boxes = page.evaluate("""() => ['.chipao-map:has(#centres-map) .chipao-map-canvas',
        '#centres-legend'].map(s => { const r = document.querySelector(s).getBoundingClientRect();
        return {y: r.y, h: r.height}; })""")
    for box in boxes:
        assert box["h"] > 0 and box["y"] >= 0 and box["y"] + box["h"] <= 768 + 1, boxes
    assert boxes[0]["h"] >= 500
    assert page.errors == [], "\n".join(page.errors)
