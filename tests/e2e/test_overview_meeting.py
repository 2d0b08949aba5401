"""The overview for a committee meeting (issue 11), in headless Chromium on a store of
synthetic households in THREE survey rounds: the trend over every round (overview and
the map's area profile) equals what the household rows give per round; the overview's
downloads (figures, top provinces, trend as CSV/XLSX; charts as PNG/SVG) hold the
tables shown, with the filter sheet, named after what they show, audited, and hide
from a public viewer what the page hides (a province of 3 households, and the
complementary cell that would give it away); print media gives clean A4 pages with
the filter and source line on each; presentation mode at 1366×768 has no controls."""

from __future__ import annotations

import csv
import io
import subprocess
from urllib.parse import unquote

import numpy as np
import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import text

from chipao.domain.scope import PUBLIC, SYSTEM
from queries import mpi, trend
from queries import suppression as sdc
from queries.db import owner, scoped
from tests import factory
from tests.auth_helpers import create_user, login
from tests.factory import insert_test_areas, isolated_store

ROUNDS = ((1, 2565), (2, 2566), (3, 2567))
# TH20 has one tambon of 3 households a round: below the public threshold (5)
LAYOUT = {"TH10": {"TH1001": 2, "TH1002": 1}, "TH40": {"TH4001": 2},
          "TH50": {"TH5001": 3, "TH5002": 2}, "TH20": {"TH2001": 1}}
HOUSEHOLDS = 2400


@pytest.fixture(scope="module")
def store(database):
    from geodata.serve import invalidate_geometry_cache

    sdc.clear_cache()
    mpi.table_cache.clear()
    with isolated_store("chipao_overview_meeting") as url:
        invalidate_geometry_cache()
        with owner() as conn:
            tambons = insert_test_areas(conn, LAYOUT, size=0.1)
            tambons.remove("TH200101")
            _load(conn, [*tambons, "TH200101"])
        yield url
        invalidate_geometry_cache()
    sdc.clear_cache()
    mpi.table_cache.clear()


def _load(conn, tambons: list[str]) -> None:
    """Three rounds of synthetic households through the real importer (tests/factory)."""
    from queries import aggregates

    factory.add_rounds(conn, ROUNDS, label="รอบปี")
    conn.execute(text("INSERT INTO village (tambon_pcode, village_no) VALUES (:t, :v) "
                      "ON CONFLICT DO NOTHING"),
                 [{"t": t, "v": v} for t in tambons
                  for v in range(1, factory.VILLAGES_PER_TAMBON + 1)])
    rows = factory.map_households(tambons, HOUSEHOLDS, factory.catalogue_specs(conn), seed=3,
                                  rounds=ROUNDS, sparse_tambons=1)
    factory.import_households(conn, rows)
    aggregates.refresh(conn)


def _truth(pcode: str) -> list[dict]:
    """Per round, straight from the household rows (not the aggregates)."""
    prefix = "" if pcode == "TH" else pcode
    with owner() as conn:
        rows = conn.execute(text("""
            SELECT s.year_be AS year, count(*) AS surveyed, sum(r.size) AS people,
                   count(*) FILTER (WHERE r.dims_failed <> 0) AS poor,
                   sum(r.size) FILTER (WHERE r.dims_failed <> 0) AS poor_people,
                   count(*) FILTER (WHERE r.dims_failed <> 0 AND r.welfare_card) AS target_poor,
                   count(*) FILTER (WHERE r.score >= 1.0 / 3 - 1e-6) AS af_poor,
                   sum(r.score) FILTER (WHERE r.score >= 1.0 / 3 - 1e-6) AS af_sum
            FROM household_round r JOIN survey_round s USING (round_id)
            WHERE starts_with(r.tambon_pcode, :p)
            GROUP BY s.year_be ORDER BY s.year_be"""), {"p": prefix}).mappings().all()
    return [dict(r) for r in rows]


def _filename(response) -> str:
    return unquote(response.headers["content-disposition"].split("filename*=UTF-8''", 1)[1])


def _table(page, selector: str) -> list[list[str]]:
    return page.evaluate("""(s) => [...document.querySelectorAll(s + ' tbody tr')]
        .map(r => [...r.cells].map(c => c.innerText.trim()))""", selector)


def _csv(response) -> list[list[str]]:
    body = response.body()
    assert body.startswith("\ufeff".encode())  # BOM: Excel reads Thai
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _number(cell: str) -> float | None:
    cell = cell.replace(",", "").rstrip("%")
    return None if cell in ("", "–") else float(cell)


def _fmt(v) -> str:
    return "–" if v in (None, "") else f"{int(v):,}"


@pytest.fixture(scope="module")
def executive(browser, live_server, store):
    user = create_user("executive")
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="th-TH",
                              accept_downloads=True)
    pg = ctx.new_page()
    login(pg, live_server, *user, next_path="/")
    pg.close()
    ctx.username = user[0]  # type: ignore[attr-defined]
    yield ctx
    ctx.close()


@pytest.fixture
def page(executive):
    pg = executive.new_page()
    yield pg
    pg.close()


# ── item 5: the trend over every round ───────────────────────────────────────
@pytest.mark.parametrize("pcode", ["TH", "TH50"])
def test_trend_equals_the_store_per_round(store, pcode):
    with scoped(SYSTEM) as conn:
        rows = trend.area_trend(conn, SYSTEM, mpi.load_catalogue(conn), pcode)
    truth = _truth(pcode)
    assert [r["year"] for r in rows] == [2565, 2566, 2567]  # every round, not two
    for got, want in zip(rows, truth, strict=True):
        for key in ("surveyed", "people", "poor", "poor_people", "target_poor"):
            assert got[key] == want[key], (got["year"], key)
        assert got["poor_share"] == pytest.approx(want["poor"] / want["surveyed"])
        assert got["H"] == pytest.approx(want["af_poor"] / want["surveyed"])
        assert got["A"] == pytest.approx(want["af_sum"] / want["af_poor"], rel=1e-4)
        assert got["M0"] == pytest.approx(got["H"] * got["A"])


@pytest.mark.browser
def test_overview_and_map_panel_show_the_trend(page, live_server):
    truth = _truth("TH")
    page.goto(f"{live_server}/")
    page.wait_for_selector("#overview-trend-chart .main-svg")
    shown = _table(page, "#overview-trend-table")
    assert [r[0] for r in shown] == ["พ.ศ. 2565", "พ.ศ. 2566", "พ.ศ. 2567"]
    for row, want in zip(shown, truth, strict=True):
        assert row[1:4] == [_fmt(want["surveyed"]), _fmt(want["people"]), _fmt(want["poor"])]
        assert row[5] == _fmt(want["poor_people"])
        assert row[7] == f"{100 * want['af_poor'] / want['surveyed']:.1f}%"  # H
    # people beside households in the headline cards
    assert f"{truth[-1]['people']:,}" in page.inner_text("#overview-kpi-surveyed")
    assert f"{truth[-1]['poor_people']:,}" in page.inner_text("#overview-kpi-poor")
    # the map's area profile: the province's trend over the three rounds
    province = _truth("TH50")
    page.goto(f"{live_server}/map?area=TH50&round=2566")
    page.wait_for_selector("#map-panel-trend-table")
    shown = _table(page, "#map-panel-trend-table")
    assert [r[1] for r in shown] == [_fmt(w["surveyed"]) for w in province]
    assert [r[5] for r in shown] == [_fmt(w["poor_people"]) for w in province]
    page.wait_for_selector("#map-panel-trend-chart .main-svg")
    href = page.get_attribute("#map-panel-trend-csv", "href")
    response = page.request.get(f"{live_server}{href}")
    assert response.ok and _filename(response) == "จังหวัดทดสอบ_TH50-2566-แนวโน้ม.csv"
    downloaded = _csv(response)[1:]
    assert [r[0] for r in downloaded] == [r[0] for r in shown]
    for got, row in zip(downloaded, shown, strict=True):
        assert [_number(c) for c in got[1:]] == [_number(c) for c in row[1:]]


# ── item 4: downloads ────────────────────────────────────────────────────────
@pytest.mark.browser
def test_overview_tables_download_as_shown(page, live_server, store):
    page.goto(f"{live_server}/?round=2567")
    page.wait_for_selector("#overview-figures-table")
    figures = _table(page, "#overview-figures-table")
    href = page.get_attribute("#overview-figures_xlsx", "href")
    assert href == "/export/overview.xlsx?round=2567"
    response = page.request.get(f"{live_server}{href}")
    assert response.ok and _filename(response) == "ประเทศไทย-2567-ตัวเลขหลัก.xlsx"
    book = load_workbook(io.BytesIO(response.body()))
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    assert sheet[0] == ("ตัวเลข", "พ.ศ. 2567", "พ.ศ. 2566", "เปลี่ยนแปลง")  # Thai headers
    assert [r[0] for r in sheet[1:]] == [r[0] for r in figures]
    for got, shown in zip(sheet[1:], figures, strict=True):
        if shown[0].startswith("สัดส่วน"):
            assert f"{got[1]:.1f}%" == shown[1]
        else:
            assert _fmt(got[1]) == shown[1]
    notes = dict(book.worksheets[1].iter_rows(values_only=True))
    assert book.sheetnames[1] == "ที่มา (source)"
    assert notes["พื้นที่"] == "ประเทศไทย" and notes["รอบการสำรวจ"] == "พ.ศ. 2567"
    assert "OCHA" in notes["ขอบเขต"] and notes["ข้อมูล ณ"].endswith("น.")

    top = _table(page, "#overview-top-provinces")
    response = page.request.get(f"{live_server}/export/provinces.csv?round=2567")
    assert response.ok and _filename(response) == "ประเทศไทย-2567-10_จังหวัด.csv"
    rows = _csv(response)
    assert rows[0][:3] == ["อันดับ", "P-code", "จังหวัด"]
    assert [r[2] for r in rows[1:]] == [r[1] for r in top]
    assert [_fmt(r[3]) for r in rows[1:]] == [r[2] for r in top]
    assert [f"{float(r[4]):.1f}%" for r in rows[1:]] == [r[3] for r in top]

    trend_rows = _table(page, "#overview-trend-table")
    response = page.request.get(f"{live_server}/export/trend.xlsx?round=2567")
    assert response.ok and _filename(response) == "ประเทศไทย-2567-แนวโน้ม.xlsx"
    book = load_workbook(io.BytesIO(response.body()))
    cells = list(book.worksheets[0].iter_rows(values_only=True))[1:]
    assert [c[0] for c in cells] == [r[0] for r in trend_rows]
    assert [_fmt(c[1]) for c in cells] == [r[1] for r in trend_rows]
    assert [f"{c[7]:.1f}%" for c in cells] == [r[7] for r in trend_rows]
    assert [f"{c[9]:.3f}" for c in cells] == [r[9] for r in trend_rows]
    assert "k (H, A, M0)" in dict(book.worksheets[1].iter_rows(values_only=True))


@pytest.mark.browser
def test_english_headers_in_english_mode(browser, live_server, store):
    user = create_user("executive")
    ctx = browser.new_context()
    try:
        pg = ctx.new_page()
        login(pg, live_server, *user, next_path="/")
        ctx.add_cookies([{"name": "chipao_lang", "value": "en", "url": live_server}])
        response = pg.request.get(f"{live_server}/export/trend.csv")
        assert response.ok and _filename(response) == "Thailand-2567-trend.csv"
        assert _csv(response)[0][:3] == ["Survey round", "Households surveyed",
                                         "Members of surveyed households (people)"]
    finally:
        ctx.close()


@pytest.mark.browser
def test_charts_download_with_their_words_and_are_audited(page, live_server, executive):
    page.goto(f"{live_server}/")
    page.wait_for_selector("#overview-dimensions_png")
    for path, name in (("/export/dimensions.png", "ประเทศไทย-2567-รายมิติ.png"),
                       ("/export/trend.png", "ประเทศไทย-2567-แนวโน้ม.png")):
        assert page.get_attribute(f"#overview-{path.split('/')[-1].replace('.', '_')}",
                                  "href").startswith(path)
        response = page.request.get(f"{live_server}{path}")
        assert response.ok and response.headers["content-type"] == "image/png"
        assert _filename(response) == name
        image = np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB")).astype(int)
        assert image.shape[1] >= 1000
        assert ((image.max(axis=2) - image.min(axis=2)) > 60).mean() > 0.005  # coloured marks
        assert (image.min(axis=2) < 100).mean() > 0.002  # dark text: title, legend, source
    svg = page.request.get(f"{live_server}/export/trend.svg")
    assert svg.ok and svg.headers["content-type"] == "image/svg+xml"
    assert svg.body().lstrip().startswith(b"<?xml") and b"<path" in svg.body()
    with owner() as conn:
        audited = conn.execute(text(
            "SELECT target, details->>'format' FROM audit_log WHERE action = 'export' "
            "AND username = :u"), {"u": executive.username}).all()
    assert {("overview_dimensions_chart", "png"), ("trend_chart", "png"),
            ("trend_chart", "svg"), ("overview_figures", "xlsx"),
            ("overview_provinces", "csv"), ("trend", "xlsx")} <= set(audited)


@pytest.mark.browser
def test_public_downloads_hide_what_the_page_hides(browser, live_server, store):
    from components.i18n import fmt_suppressed

    with scoped(PUBLIC) as conn:
        latest = conn.execute(text("SELECT max(round_id) FROM survey_round")).scalar_one()
        hidden = sdc.hidden_cells(conn, PUBLIC, latest)
    hidden_poor = set(hidden.get("poor", ()))
    # the 3-household province and the complementary cell that would give it away
    assert "TH20" in hidden_poor and len(hidden_poor - {"TH20"}) >= 1
    user = create_user("public")
    ctx = browser.new_context()
    try:
        pg = ctx.new_page()
        login(pg, live_server, *user, next_path="/")
        pg.wait_for_selector("#overview-top-provinces")
        shown = {r[1]: r for r in _table(pg, "#overview-top-provinces")}
        rows = _csv(pg.request.get(f"{live_server}/export/provinces.csv"))
        head, body = rows[0], rows[1:]
        for r in body:
            cells = dict(zip(head, r, strict=True))
            page_row = shown[cells["จังหวัด"]]
            if cells["P-code"] in hidden_poor:
                assert page_row[2] == fmt_suppressed()  # "<5" on the page
                assert cells["ครัวเรือนยากจน"] == "" and cells["ร้อยละ"] == ""
                assert cells["หมายเหตุ"].startswith(fmt_suppressed())
            else:
                assert _fmt(cells["ครัวเรือนยากจน"]) == page_row[2]
        assert {r[1] for r in body} & hidden_poor == hidden_poor & {r[1] for r in body}
        assert any(r[1] == "TH20" for r in body)
        # the province's own trend: its counts withheld in every round
        trend_rows = _csv(pg.request.get(f"{live_server}/export/trend.csv?area=TH20"))
        assert len(trend_rows) == 4 and all(r[1:4] == ["", "", ""] for r in trend_rows[1:])
        notes = dict(load_workbook(io.BytesIO(pg.request.get(
            f"{live_server}/export/provinces.xlsx").body())).worksheets[1].iter_rows(
            values_only=True))
        assert "ปกปิด" in notes["หมายเหตุ"]
    finally:
        ctx.close()


# ── items 2–3: print and presentation ────────────────────────────────────────
def _box(page, selector: str) -> dict:
    return page.eval_on_selector(selector, """e => { const r = e.getBoundingClientRect();
        return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY,
                left: r.left, right: r.right, w: r.width, h: r.height}; }""")


@pytest.mark.browser
def test_print_media_gives_clean_a4_pages(page, live_server, tmp_path):
    page.goto(f"{live_server}/?round=2567")
    page.wait_for_selector("#overview-dimensions .main-svg")
    page.wait_for_selector("#overview-trend-chart .main-svg")
    page.emulate_media(media="print")
    for hidden in (".shell-navbar", "#overview-toolbar", ".modebar-container",
                   "#shell-round"):
        assert not page.is_visible(hidden), hidden
    assert page.is_visible("#overview-print-stamp")
    # charts resized to the printed column, above (never over) the tables
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')].every(
        g => g.querySelector('.main-svg').getBoundingClientRect().width <= 700)""")  # A4
    chart, table = _box(page, "#overview-dimensions"), _box(page, "#overview-top-provinces")
    assert chart["bottom"] <= table["top"] or table["bottom"] <= chart["top"], (chart, table)
    trend_chart, trend_table = _box(page, "#overview-trend-chart"), _box(page, "#overview-trend-table")
    assert trend_chart["bottom"] <= trend_table["top"], (trend_chart, trend_table)
    pdf = tmp_path / "overview.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    assert pages >= 2
    for n in range(1, pages + 1):
        words = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf),
                                "-"], check=True, capture_output=True, text=True).stdout
        # the filter and source line on every page; no navigation
        assert "พ.ศ. 2567" in words and "OCHA" in words and "k (H, A, M0)" in words, n
        assert "ออกจากระบบ" not in words and "แผนที่ความยากจน" not in words, n
        assert "ดาวน์โหลด" not in words, n
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    for shot in sorted(tmp_path.glob("p-*.png")):
        pixels = np.asarray(Image.open(shot).convert("L")).astype(int)
        assert (pixels < 200).mean() > 0.01, shot.name  # not blank
    first = np.asarray(Image.open(sorted(tmp_path.glob("p-*.png"))[0]).convert("RGB")).astype(int)
    assert ((first.max(axis=2) - first.min(axis=2)) > 60).mean() > 0.002  # a coloured chart


@pytest.mark.browser
def test_presentation_mode_at_1366x768(page, live_server, tmp_path):
    page.goto(f"{live_server}/?present=1")
    page.wait_for_selector("#overview-dimensions .main-svg")
    page.wait_for_function("document.documentElement.classList.contains('present')")
    for hidden in (".shell-navbar", "#overview-toolbar", ".modebar-container",
                   "#overview-figures-table"):
        assert not page.is_visible(hidden), hidden
    size = page.eval_on_selector("#overview-kpi-poor .kpi-value",
                                 "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 40  # read from the back of a room
    for card in ("#overview-kpi-surveyed", "#overview-kpi-poor", "#overview-kpi-target-poor", "#overview-kpi-left-poverty"):
        box = _box(page, card)
        assert 0 <= box["top"] and box["bottom"] <= 768, card  # the headline on the first screen
    page.screenshot(path=str(tmp_path / "present.png"))
    shot = np.asarray(Image.open(tmp_path / "present.png").convert("RGB")).astype(int)
    assert shot.shape[:2] == (768, 1366)
    assert (shot.min(axis=2) < 100).mean() > 0.01  # large dark figures
    page.keyboard.press("Escape")  # leaves the mode
    page.wait_for_function("!document.documentElement.classList.contains('present')")
    assert page.is_visible("#overview-toolbar")


@pytest.mark.browser
def test_a_provincial_committee_gets_its_province(browser, live_server, store):
    """The overview opens at the committee's own province: its trend and downloads are
    the province's, named after it."""
    province = _truth("TH50")
    user = create_user("province", ("TH50",))
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        pg = ctx.new_page()
        login(pg, live_server, *user, next_path="/")
        pg.wait_for_selector("#overview-trend-table")
        shown = _table(pg, "#overview-trend-table")
        assert [r[1] for r in shown] == [_fmt(w["surveyed"]) for w in province]
        href = pg.get_attribute("#overview-trend_csv", "href")
        assert "area=TH50" in href
        response = pg.request.get(f"{live_server}{href}")
        assert response.ok and _filename(response) == "จังหวัดทดสอบ_TH50-2567-แนวโน้ม.csv"
        assert [r[1] for r in _csv(response)[1:]] == [str(w["surveyed"]) for w in province]
        response = pg.request.get(f"{live_server}{pg.get_attribute('#overview-provinces_csv', 'href')}")
        assert _filename(response) == "จังหวัดทดสอบ_TH50-2567-10_อำเภอ.csv"
        assert _csv(response)[0][2] == "อำเภอ"
    finally:
        ctx.close()
