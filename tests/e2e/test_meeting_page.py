"""The committee's meeting tools on the real dashboard in headless Chromium: the brief
button runs a background job with a progress bar and hands out the PDF (to its owner
only, audited); the map's downloads — ranking CSV/XLSX and map PNG/SVG — hold what the
page shows with its filters, named after it, and obey the role (suppression for a
public viewer)."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.auth_helpers import create_user, login

pytestmark = pytest.mark.browser
QUERY = "?area=TH50&round=2566"


@pytest.fixture
def page(province_context):
    pg = province_context.new_page()
    yield pg
    pg.close()


def _grid_rows(page) -> list[dict[str, str]]:
    """The ranking as the grid shows it: {column id: cell text} per row, in row order."""
    page.wait_for_selector("#map-ranking .ag-row")
    return page.evaluate("""() => [...document.querySelectorAll(
            '#map-ranking .ag-center-cols-container .ag-row')]
        .sort((a, b) => (+a.getAttribute('row-index')) - (+b.getAttribute('row-index')))
        .map(r => Object.fromEntries([...r.querySelectorAll('.ag-cell')]
            .map(c => [c.getAttribute('col-id'), c.innerText.trim()])))""")


def _filename(response) -> str:
    disposition = response.headers["content-disposition"]
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def test_brief_button_runs_a_job_and_hands_out_the_pdf(page, live_server, province_context):
    from queries.db import owner

    page.goto(f"{live_server}/map{QUERY}&k=0.25")  # options no other test builds
    page.wait_for_selector("#map-brief")
    # record whether the progress bar was ever shown (the job may be quick)
    page.evaluate("""() => { window.__progressShown = false;
        const box = document.getElementById('map-brief-box');
        new MutationObserver(() => { if (box.style.display === 'block')
            window.__progressShown = true; }).observe(box, {attributes: true}); }""")
    page.click("#map-brief")
    link = page.wait_for_selector("#map-brief-download", timeout=180_000)
    assert page.evaluate("window.__progressShown")
    href = link.get_attribute("href")
    response = page.request.get(f"{live_server}{href}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"
    assert _filename(response) == "จังหวัดทดสอบ_TH50-2566-สรุป.pdf"
    with owner() as conn:
        audited = conn.execute(text(
            "SELECT count(*) FROM audit_log WHERE action = 'brief' AND username = :u "
            "AND target = 'TH50'"), {"u": province_context.username}).scalar_one()
    assert audited >= 1


def test_a_brief_belongs_to_whoever_started_it(browser, live_server, page):
    page.goto(f"{live_server}/map{QUERY}")
    page.click("#map-brief")
    href = page.wait_for_selector("#map-brief-download", timeout=180_000).get_attribute("href")
    other = browser.new_context()
    try:
        user = create_user("province", ("TH50",))
        pg = other.new_page()
        login(pg, live_server, *user, next_path="/map")
        assert pg.request.get(f"{live_server}{href}").status == 404
    finally:
        other.close()


def test_ranking_exports_equal_the_table_shown(page, live_server):
    page.goto(f"{live_server}/map{QUERY}")
    shown = _grid_rows(page)
    assert shown
    xlsx = page.request.get(f"{live_server}/export/ranking.xlsx{QUERY}")
    assert xlsx.ok
    assert _filename(xlsx).endswith("-อันดับ.xlsx")
    book = load_workbook(io.BytesIO(xlsx.body()))
    table, filters = book.worksheets[0], book.worksheets[1]
    rows = list(table.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:3] == ("P-code", "อันดับ", "พื้นที่")
    assert [str(r[2]) for r in body] == [r["name"] for r in shown]
    value_col = header.index(next(h for h in header if h and h.startswith("ร้อยละ")))
    assert [f"{r[value_col]:.1f}" for r in body] == [r["value"] for r in shown]
    readable = dict(filters.iter_rows(values_only=True))
    assert readable["พื้นที่"] == "จังหวัดทดสอบ TH50"
    assert readable["รอบการสำรวจ"] == "พ.ศ. 2566"
    assert readable["ตัววัด"].startswith("ร้อยละครัวเรือนที่ขาดแคลน")
    assert readable["การแบ่งช่วงสี"].startswith("ควอนไทล์")
    assert readable["ข้อมูล ณ"].endswith("น.") and "25" in readable["ข้อมูล ณ"]  # B.E. date
    assert "OCHA" in readable["ขอบเขต"]
    assert "k" not in readable  # a share does not depend on k: not listed as a filter
    csv_response = page.request.get(f"{live_server}/export/ranking.csv{QUERY}")
    raw = csv_response.body()
    assert raw[:3] == b"\xef\xbb\xbf"  # UTF-8 BOM for Excel
    parsed = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert parsed[0][:3] == ["P-code", "อันดับ", "พื้นที่"]
    assert [r[2] for r in parsed[1:]] == [r["name"] for r in shown]


def test_map_image_downloads_say_what_they_show(page, live_server):
    query = f"{QUERY}&subject=dim:income"
    page.goto(f"{live_server}/map{query}")
    href = page.get_attribute("#map-map_png", "href")
    assert href.startswith("/export/map.png?") and "subject=dim" in href
    png = page.request.get(f"{live_server}/export/map.png{query}")
    assert png.ok and png.body()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _filename(png).startswith("จังหวัดทดสอบ_TH50-2566-")
    svg = page.request.get(f"{live_server}/export/map.svg{query}")
    assert svg.ok and b"<svg" in svg.body()
    bad = page.request.get(f"{live_server}/export/map.png?level=9")
    assert bad.status == 400


def test_public_exports_suppress_small_counts(browser, live_server, map_store):
    from chipao.settings import current
    from components.i18n import fmt_suppressed

    user = create_user("public")
    context = browser.new_context()
    try:
        pg = context.new_page()
        login(pg, live_server, *user, next_path="/map")
        # TH4001's last tambon has 3 households a round: below the threshold
        response = pg.request.get(f"{live_server}/export/ranking.csv?area=TH4001&round=2566")
        assert response.ok
        rows = list(csv.DictReader(io.StringIO(response.body().decode("utf-8-sig"))))
        small = next(r for r in rows if r["P-code"] == "TH400102")
        surveyed = next(k for k in small if k and "สำรวจ" in k)
        assert small[surveyed] == "" and current().disclosure.suppress_below > 3
        # no figure of it: only the note that says it is withheld ("<5 ปกปิด")
        figures = {k: v for k, v in small.items() if k not in ("P-code", "อันดับ", "พื้นที่", "ใน")}
        assert all(v in ("", None) or v.startswith(fmt_suppressed()) for v in figures.values())
        assert any(v and v.startswith(fmt_suppressed()) for v in figures.values())
    finally:
        context.close()


def test_profile_export_equals_the_panel_and_counts_people(page, live_server):
    from queries.db import owner

    page.goto(f"{live_server}/map{QUERY}")
    page.wait_for_selector("#map-panel-dimensions")
    shown = page.evaluate("""() => [...document.querySelectorAll(
            '#map-panel-dimensions tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))""")
    assert page.get_attribute("#map-profile_xlsx", "href").startswith("/export/profile.xlsx?")
    response = page.request.get(f"{live_server}/export/profile.xlsx{QUERY}")
    assert response.ok and _filename(response) == "จังหวัดทดสอบ_TH50-2566-ข้อมูลพื้นที่.xlsx"
    book = load_workbook(io.BytesIO(response.body()))
    rows = list(book.worksheets[0].iter_rows(values_only=True))[1:]
    dims = [r for r in rows if r[0] == "มิติ"]
    assert [r[2] for r in dims] == [s[0] for s in shown]
    assert [f"{r[3]:,}" for r in dims] == [s[1] for s in shown]
    assert [f"{r[4]:.1f}%" for r in dims] == [s[2] for s in shown]
    assert len(rows) - len(dims) == 17  # every indicator
    assert dict(book.worksheets[1].iter_rows(values_only=True))["พื้นที่"] == "จังหวัดทดสอบ TH50"
    # members of poor households beside the household headline
    facts = page.inner_text("#map-panel-facts")
    with owner() as conn:
        people = conn.execute(text("""
            SELECT sum(r.size) FROM household_round r JOIN survey_round s USING (round_id)
            WHERE s.year_be = 2566 AND r.dims_failed <> 0
              AND starts_with(r.tambon_pcode, 'TH50')""")).scalar_one()
    assert "สมาชิกครัวเรือนยากจน (คน)" in facts and f"{people:,}" in facts
