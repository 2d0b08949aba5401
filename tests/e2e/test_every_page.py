"""Every page, for every role that may open it, on the demo store (real boundaries),
in headless Chromium with no Thai system font (tests/conftest.py): what a person sees
is drawn in the app's own Sarabun font, no chart offers to upload itself to a cloud
service, and axe-core finds no serious or critical WCAG 2.1 A/AA violation."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.auth_helpers import create_user, login
from tests.e2e.browser_checks import (
    THAI,
    axe_violations,
    fonts_of,
    modebar_titles,
    thai_font_fallbacks,
)
from tests.support_store import isolated_store

pytestmark = pytest.mark.browser

# The page has drawn: its heading, no callback or spinner pending, every graph has its
# SVG, every grid its header, and the fonts the page asked for are loaded.
READY = """() => {
  const main = document.querySelector('#_pages_content');
  if (!main || !main.querySelector('h1')) return false;
  if (document.querySelector('[data-dash-is-loading="true"], .dash-graph--pending')) return false;
  for (const g of main.querySelectorAll('.dash-graph'))
    if (!g.querySelector('.main-svg')) return false;
  for (const g of main.querySelectorAll('.ag-root-wrapper'))
    if (!g.querySelector('.ag-header-cell-text')) return false;
  return document.fonts.status === 'loaded'; }"""

ALLOWED_TOOLS = {"Download plot as a PNG"}


@pytest.fixture(scope="module")
def demo_store(database):
    from chipao.ingest import demo
    from geodata.boundaries import import_boundaries

    with isolated_store("chipao_test_pages") as url:
        assert import_boundaries(None, progress=False).ok
        demo.load_demo(households=7500, seed=5)
        yield url


def _one(sql: str, **params):
    from queries.db import owner

    with owner() as conn:
        return conn.execute(text(sql), params).scalar_one()


@pytest.fixture(scope="module")
def places(demo_store) -> dict[str, str]:
    """A tambon with located households that have plan items, its district and province."""
    house = _one("""SELECT h.house_id FROM household h JOIN plan_item p USING (house_id)
                    WHERE h.location IS NOT NULL ORDER BY h.house_id LIMIT 1""")
    tambon = _one("SELECT tambon_pcode FROM household WHERE house_id = :h", h=house)
    return {"house": house, "tambon": tambon, "district": tambon[:6], "province": tambon[:4]}


@pytest.fixture(scope="module")
def role_pages(places) -> dict[str, tuple[tuple[str, ...], list[str]]]:
    """Role → (areas, the pages it may open)."""
    t, h = places["tambon"], places["house"]
    records = ["/", "/map", f"/households?area={t}", f"/households/{h}", "/plans",
               f"/plans/household?house={h}", "/centres"]
    return {
        "executive": ((), ["/", "/map", "/plans", "/centres"]),
        "province": ((places["province"],), records),
        "district": ((places["district"],), records),
        "tambon": ((t,), records),
        "public": ((), ["/", "/map"]),
        "admin": ((), ["/", "/map", "/admin"]),
    }


def _visits(browser, live_server, role_pages, roles=None):
    """(role, path, page) for each page each role may open, signed in as that role."""
    for role, (areas, paths) in role_pages.items():
        if roles and role not in roles:
            continue
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="th-TH")
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e, pg=page: pg.errors.append(str(e)))
        login(page, live_server, *create_user(role, areas=areas))
        try:
            for path in paths:
                page.goto(f"{live_server}{path}")
                page.wait_for_function(READY, timeout=60_000)
                yield role, path, page
        finally:
            context.close()


def test_every_text_is_drawn_in_the_served_font(browser, live_server, role_pages,
                                                fontconfig_file):
    import subprocess

    thai_fonts = subprocess.run(["fc-list", ":lang=th"], capture_output=True, text=True,
                                env={"FONTCONFIG_FILE": fontconfig_file}, check=True).stdout
    assert thai_fonts.strip() == "", "the test browser must have no Thai system font"
    problems = []
    for role, path, page in _visits(browser, live_server, role_pages,
                                    roles=("executive", "tambon", "admin")):
        problems += [f"{role} {path}: {p}" for p in thai_font_fallbacks(page)]
        # what appears on demand: an open drop-down
        page.click("#shell-round")
        page.wait_for_selector(".dash-dropdown-option")
        problems += [f"{role} {path} (round menu): {p}" for p in thai_font_fallbacks(page)]
        page.keyboard.press("Escape")
        page.emulate_media(media="print")
        problems += [f"{role} {path} (print): {p}" for p in thai_font_fallbacks(page)]
        page.emulate_media(media="screen")
    assert problems == [], "\n".join(problems)


def test_the_sign_in_page_is_drawn_in_the_served_font(page, live_server):
    page.goto(f"{live_server}/login")
    page.wait_for_selector("#login-submit")
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    assert thai_font_fallbacks(page) == []


def test_no_chart_offers_to_upload_itself(browser, live_server, role_pages):
    seen: set[str] = set()
    for role, path, page in _visits(browser, live_server, role_pages):
        tools = modebar_titles(page)
        assert not any("share" in t.lower() or "cloud" in t.lower() or "studio" in t.lower()
                       for t in tools), (role, path, tools)
        assert tools <= ALLOWED_TOOLS, (role, path, tools - ALLOWED_TOOLS)
        seen |= tools
        assert page.errors == [], (role, path, page.errors)
    assert "Download plot as a PNG" in seen  # the charts were checked


# Serious/critical axe-core rules every page passes today. Still open (issue 10 item 15
# follow-up): color-contrast of text-danger/success cells and status badges on the
# household record and plan items, AG Grid's header roles and scrollable viewport, the
# admin date picker's ARIA attributes. Add each rule here once its pages pass it.
AXE_RULES = ("html-has-lang", "html-lang-valid", "aria-hidden-focus", "label",
             "aria-input-field-name", "nested-interactive", "button-name", "link-name",
             "image-alt", "select-name", "aria-valid-attr", "aria-valid-attr-value",
             "duplicate-id-aria", "aria-toggle-field-name", "list", "listitem")


def test_no_serious_accessibility_violation(browser, live_server, role_pages):
    problems = []
    for role, path, page in _visits(browser, live_server, role_pages):
        problems += [f"{role} {path}: {v}" for v in axe_violations(page, rules=AXE_RULES)]
        assert page.evaluate("() => document.documentElement.lang") == "th", path
    assert problems == [], "\n".join(problems)


def test_sign_in_page_accessibility(page, live_server):
    page.goto(f"{live_server}/login")
    page.wait_for_selector("#login-submit")
    assert axe_violations(page) == []


# ── layout, phone, funnel ────────────────────────────────────
def _signed_in(browser, live_server, role, areas=(), viewport=(1366, 768)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  locale="th-TH")
    page = context.new_page()
    login(page, live_server, *create_user(role, areas=areas))
    return context, page


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {top: r.top + scrollY,"
        " bottom: r.bottom + scrollY, left: r.left, right: r.right}; }")


def _overlap(a: dict, b: dict) -> bool:
    return not (a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
                or a["right"] <= b["left"] or b["right"] <= a["left"])


@pytest.mark.parametrize("viewport", [(1366, 768), (768, 1024), (390, 844)])
def test_overview_notes_headings_and_toolbar_do_not_overlap(browser, live_server, demo_store,
                                                            viewport):
    context, page = _signed_in(browser, live_server, "executive", viewport=viewport)
    try:
        page.goto(f"{live_server}/")
        page.wait_for_function(READY, timeout=60_000)
        chart = _box(page, "#overview-dimensions")
        note, source = _box(page, "#overview-chart-note"), _box(page, "#overview-chart-source")
        footer, heading = _box(page, "#shell-attribution"), _box(page, "#overview-top-title")
        assert chart["bottom"] - chart["top"] >= 380  # the chart keeps its height
        assert chart["bottom"] <= note["top"] and note["bottom"] <= source["top"]
        assert not _overlap(source, footer) and not _overlap(note, footer)
        assert not _overlap(source, heading) and not _overlap(chart, heading)
        title, toolbar = _box(page, "#overview-dimensions .gtitle"), _box(
            page, "#overview-dimensions .modebar-container")
        assert not _overlap(title, toolbar)
        # nothing widens the page past the screen (the top-10 table scrolls in its box)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport[0]
    finally:
        context.close()


def test_phone_menu_closes_after_choosing_and_the_map_starts_in_view(browser, live_server,
                                                                    demo_store):
    context, page = _signed_in(browser, live_server, "executive", viewport=(390, 844))
    try:
        page.goto(f"{live_server}/")
        page.wait_for_function(READY, timeout=60_000)
        page.click("#shell-toggler")
        menu = page.locator("#shell-collapse")
        menu.locator("a.nav-link[href^='/map']").wait_for(state="visible")
        menu.locator("a.nav-link[href^='/map']").click()
        page.wait_for_url("**/map**")
        menu.locator("a.nav-link[href^='/map']").wait_for(state="hidden")
        page.wait_for_selector(".chipao-map canvas", state="visible", timeout=60_000)
        frame = _box(page, ".chipao-map")
        assert frame["top"] <= 844 - 250, frame  # the map fills the first screen's bottom
    finally:
        context.close()


def test_funnel_stages_are_readable(browser, live_server, demo_store):
    context, page = _signed_in(browser, live_server, "executive")
    try:
        page.goto(f"{live_server}/plans")
        page.wait_for_function(READY, timeout=60_000)
        texts = page.locator("#plans-funnel text.bartext")
        assert texts.count() >= 3
        svg = _box(page, "#plans-funnel .main-svg")
        for i in range(texts.count()):
            box = texts.nth(i).evaluate("e => { const r = e.getBoundingClientRect();"
                                        " return {h: r.height, l: r.left, r: r.right}; }")
            assert box["h"] >= 13, (i, box)  # not shrunk to fit a narrow bar
            assert svg["left"] <= box["l"] and box["r"] <= svg["right"], (i, box)
        last = texts.nth(texts.count() - 1).text_content()
        assert "%" in last
    finally:
        context.close()


def test_html_lang_follows_the_language(browser, live_server, demo_store):
    context, page = _signed_in(browser, live_server, "executive")
    try:
        page.goto(f"{live_server}/")
        assert page.evaluate("() => document.documentElement.lang") == "th"
        page.context.add_cookies([{"name": "chipao_lang", "value": "en", "url": live_server}])
        page.goto(f"{live_server}/")
        assert page.evaluate("() => document.documentElement.lang") == "en"
    finally:
        context.close()


def test_chart_hover_and_map_tooltips_are_drawn_in_the_served_font(browser, live_server,
                                                                   demo_store):
    """What appears on hover: Plotly's hover label over an overview bar (found through
    the bars drawn on the page) and the map's tooltip (an area picked with the keys)."""
    context, page = _signed_in(browser, live_server, "executive")
    try:
        page.goto(f"{live_server}/")
        page.wait_for_function(READY, timeout=60_000)
        # the mouse over a drawn bar (Plotly's drag layer above it takes the events and
        # finds the bar under the pointer, as for a person's mouse: force skips only
        # Playwright's "another element receives the pointer" check)
        page.locator("#overview-dimensions .trace.bars .point path").last.hover(force=True)
        hover = page.locator("#overview-dimensions .hoverlayer .hovertext")
        hover.first.wait_for(state="visible")
        assert THAI.search(hover.first.text_content())  # the dimension's Thai name
        used = fonts_of(page, "#overview-dimensions .hoverlayer .hovertext")
        assert used and all(f.startswith("Sarabun") for f in used), used
        assert thai_font_fallbacks(page) == []
        page.goto(f"{live_server}/map")
        page.wait_for_function(READY, timeout=60_000)
        page.wait_for_selector(".chipao-map[data-map-ready='1']", timeout=60_000)
        page.locator(".chipao-map canvas").focus()
        page.keyboard.press("]")
        tip = page.locator(".chipao-map-tooltip")
        tip.wait_for(state="visible")
        assert THAI.search(tip.text_content())  # the area's Thai name and figure
        used = fonts_of(page, ".chipao-map-tooltip")
        assert used and all(f.startswith("Sarabun") for f in used), used
        assert thai_font_fallbacks(page) == []
    finally:
        context.close()
