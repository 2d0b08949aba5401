"""The poverty map in headless Chromium against the real dashboard and a real PostGIS:
the page loads without console errors, a click on a province shows its districts (and
the back button returns), a URL with state reproduces the view, a switch sends values
only (no geometry), bad parameters give a message, the round selector keeps the view."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from tests import map_fixtures
from tests.auth_helpers import create_user, login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def map_store(database):
    """The map tests' own store (tests/map_fixtures.py)."""
    with map_fixtures.map_store() as url:
        yield url

GRAPH = "#map-graph .js-plotly-plot"
# The map has drawn `n` areas and MapLibre is idle.
READY = """(n) => { const gd = document.querySelector('#map-graph .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd.data[0].locations) return false;
  const m = gd._fullLayout.map._subplot.map;
  return gd.data[0].locations.length === n && m.loaded() && !m.isMoving()
         && !gd.classList.contains('dash-graph--pending'); }"""


@pytest.fixture(scope="module")
def executive(map_store, live_server):
    return create_user("executive")


@pytest.fixture(scope="module")
def map_context(browser, live_server, executive):
    """One signed-in browser context for the module (pages share its session)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="th-TH")
    page = context.new_page()
    login(page, live_server, *executive, next_path="/map")
    page.close()
    yield context
    context.close()


@pytest.fixture
def map_page(map_context):
    """A fresh page that records console errors in page.errors."""
    pg = map_context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    pg.close()


def _open(page, live_server: str, query: str, n: int) -> None:
    page.goto(f"{live_server}/map{query}")
    page.wait_for_function(READY, arg=n, timeout=30_000)


def _locations(page) -> list[str]:
    return page.evaluate(f"() => document.querySelector('{GRAPH}').data[0].locations")


def _trace(page, prop: str) -> list:
    return page.evaluate(f"() => document.querySelector('{GRAPH}').data[0].{prop}")


def _label_point(pcode: str) -> tuple[float, float]:
    from queries.db import owner

    with owner() as conn:
        return tuple(conn.execute(text(
            "SELECT ST_X(label_point), ST_Y(label_point) FROM area WHERE pcode = :p"),
            {"p": pcode}).one())


def _click_area(page, pcode: str) -> None:
    """A real mouse click at the area's label point, projected by the map itself.
    Plotly clicks the feature under its hover label, so the label must be up first;
    a click that Plotly did not register (the map was still settling) is repeated."""
    lon, lat = _label_point(pcode)
    page.evaluate("""() => { const gd = document.querySelector('#map-graph .js-plotly-plot');
        window.__mapClicks = [];
        gd.on('plotly_click', e => window.__mapClicks.push(e.points[0].location)); }""")
    for _attempt in range(3):
        x, y = page.evaluate("""([lon, lat]) => {
            const gd = document.querySelector('#map-graph .js-plotly-plot');
            gd.scrollIntoView({block: 'center'});
            const m = gd._fullLayout.map._subplot.map;
            const p = m.project([lon, lat]);
            const r = m.getCanvas().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""", [lon, lat])
        page.mouse.move(x - 3, y - 3)
        page.mouse.move(x, y)
        page.wait_for_function(
            "(p) => (document.querySelector('.hoverlayer') || {}).textContent?.includes(p)",
            arg=pcode, timeout=10_000)
        page.mouse.click(x, y)
        try:
            page.wait_for_function("(p) => window.__mapClicks.includes(p)", arg=pcode,
                                   timeout=3_000)
            return
        except Exception:  # noqa: S112 - try again
            continue
    raise AssertionError(f"the map did not register a click on {pcode}")


def test_page_loads_without_console_errors(map_page, live_server):
    _open(map_page, live_server, "", 4)
    assert _locations(map_page) == ["TH10", "TH40", "TH50", "TH77"]
    assert map_page.inner_text("#map-breadcrumb").strip() == "ประเทศไทย"
    caption = map_page.inner_text("#map-caption")
    assert "พ.ศ. 2566" in caption and "ที่มา" in caption
    attribution = map_page.inner_text(".map-attribution")
    assert "OCHA" in attribution and "Royal Thai Survey Department" in attribution
    legend = map_page.inner_text("#map-legend")
    assert "%" in legend and "ไม่มีข้อมูล" in legend  # TH77 has no households
    assert "TPMAP" in map_page.inner_text("#map-definition")
    z = _trace(map_page, "z")
    assert z[3] is None and all(isinstance(v, int) and v >= 0 for v in z[:3])
    map_page.wait_for_selector("#map-ranking .ag-row")
    assert map_page.locator("#map-ranking .ag-center-cols-container .ag-row").count() == 4
    # hover: name (from the geometry), figure and rank
    lon, lat = _label_point("TH50")
    x, y = map_page.evaluate("""([lon, lat]) => {
        const gd = document.querySelector('#map-graph .js-plotly-plot');
        gd.scrollIntoView({block: 'center'});
        const m = gd._fullLayout.map._subplot.map;
        const p = m.project([lon, lat]); const r = m.getCanvas().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", [lon, lat])
    map_page.mouse.move(x, y)
    map_page.wait_for_function(
        "() => (document.querySelector('.hoverlayer') || {}).textContent?.includes('TH50')")
    hover = map_page.evaluate("() => document.querySelector('.hoverlayer').textContent")
    assert "จังหวัดทดสอบ TH50" in hover and "อันดับ" in hover and "/3" in hover
    assert map_page.errors == []


def test_click_on_a_province_shows_its_districts(map_page, live_server):
    _open(map_page, live_server, "?round=2566", 4)
    _click_area(map_page, "TH50")
    map_page.wait_for_function("() => location.search.includes('area=TH50')", timeout=10_000)
    map_page.wait_for_function(READY, arg=2, timeout=20_000)
    assert _locations(map_page) == ["TH5001", "TH5002"]
    assert "จังหวัดทดสอบ TH50" in map_page.inner_text("#map-breadcrumb")
    assert map_page.inner_text("#map-panel-name") == "จังหวัดทดสอบ TH50"
    # a district opens its tambons; a tambon selects it, with the households link
    _click_area(map_page, "TH5001")
    map_page.wait_for_function("() => location.search.includes('area=TH5001')",
                               timeout=10_000)
    map_page.wait_for_function(READY, arg=3, timeout=20_000)
    assert _locations(map_page) == ["TH500101", "TH500102", "TH500103"]
    _click_area(map_page, "TH500102")
    map_page.wait_for_function("() => location.search.includes('sel=TH500102')",
                               timeout=10_000)
    map_page.wait_for_selector("#map-households-link")
    assert map_page.get_attribute("#map-households-link", "href") == \
        "/households?area=TH500102"
    assert map_page.evaluate(
        f"() => document.querySelector('{GRAPH}').data[1].locations") == ["TH500102"]
    # the browser's back button steps back through the views
    map_page.go_back()
    map_page.wait_for_function("() => !location.search.includes('sel=')", timeout=10_000)
    map_page.go_back()
    map_page.wait_for_function(READY, arg=2, timeout=20_000)
    map_page.go_back()
    map_page.wait_for_function(READY, arg=4, timeout=20_000)
    assert map_page.inner_text("#map-breadcrumb").strip() == "ประเทศไทย"
    # the breadcrumb leads back up as well
    _open(map_page, live_server, "?area=TH5001&round=2566", 3)
    map_page.click("#map-breadcrumb a:has-text('จังหวัดทดสอบ TH50')")
    map_page.wait_for_function(READY, arg=2, timeout=20_000)
    assert "area=TH50&" in map_page.url or map_page.url.endswith("area=TH50")
    assert map_page.errors == []


def test_url_with_state_reproduces_the_view(map_page, live_server):
    from chipao.mapstate import parse_state
    from components.i18n import round_label
    from pages.map import _hover
    from queries import mpi
    from queries.db import owner
    from queries.scope import Scope

    query = ("?level=3&area=TH50&subject=dim:health&measure=M0&k=0.5&round=2566"
             "&classes=equal_interval&compare=2565")
    _open(map_page, live_server, query, 5)
    assert _locations(map_page) == ["TH500101", "TH500102", "TH500103", "TH500201",
                                    "TH500202"]
    title = map_page.inner_text("#map-figure-title")
    assert "M0" in title and "k = 0.5" in title and "การเปลี่ยนแปลง" in title
    assert f"{round_label(2565, 'th')} → {round_label(2566, 'th')}" in \
        map_page.inner_text("#map-caption")
    state = parse_state(query)
    with owner() as conn:
        rounds = dict(conn.execute(text("SELECT year_be, round_id FROM survey_round")).all())
        values = mpi.map_values(conn, Scope("t", "executive"), mpi.load_catalogue(conn),
                                round_id=rounds[2566], level=3, parent="TH50",
                                subject=state.subject, measure="M0", k=0.5,
                                compare_round_id=rounds[2565])
    texts, ranks = _hover(values, "th")
    assert _trace(map_page, "text") == texts
    assert _trace(map_page, "hovertext") == ranks
    # a diverging palette for change; the controls show the state
    from components.theme import DIVERGING

    scale = map_page.evaluate(f"() => document.querySelector('{GRAPH}').data[0].colorscale")
    # (the first two bands: suppressed small counts, too few households)
    assert [c for _, c in scale[4::2]] == DIVERGING[1:8]
    assert map_page.input_value("#map-k") == "0.5"
    assert map_page.is_checked("#map-level input[value='3']")
    assert "สุขภาพ" in map_page.inner_text("#map-subject")
    assert map_page.errors == []


def test_a_switch_sends_values_only(map_page, live_server):
    geo, bodies = [], []
    map_page.on("request", lambda r: "/geo/" in r.url and geo.append(r.url))

    def keep(response):
        if "_dash-update-component" in response.url:
            try:
                bodies.append(response.body())
            except Exception:  # noqa: S110 - a navigation may drop a body
                pass

    map_page.on("response", keep)
    _open(map_page, live_server, "?level=3&round=2566", 11)
    fetched = len(geo)  # the page's prefetch, and Plotly's own request (from cache)
    assert 1 <= fetched <= 2 and all(url == geo[0] for url in geo)
    before = _trace(map_page, "text")
    bodies.clear()
    map_page.click("#map-subject")
    map_page.click("label.dash-dropdown-option:has(input[value='dim:living'])")
    map_page.wait_for_function("() => location.search.includes('living')", timeout=10_000)
    map_page.wait_for_function(f"(b) => JSON.stringify(document.querySelector('{GRAPH}')"
                               ".data[0].text) !== b", arg=json.dumps(before), timeout=10_000)
    map_page.wait_for_function(READY, arg=11)
    assert len(geo) == fetched, "the geometry must not travel again"
    assert bodies and all(b"geojson" not in b and b"coordinates" not in b for b in bodies)
    assert "ความเป็นอยู่" in map_page.inner_text("#map-figure-title")
    # k and measure too
    map_page.click("#map-measure")
    map_page.click("label.dash-dropdown-option:has(input[value='H'])")
    map_page.wait_for_function("() => location.search.includes('measure=H')", timeout=10_000)
    map_page.fill("#map-k", "0.2")
    map_page.press("#map-k", "Enter")
    map_page.wait_for_function("() => location.search.includes('k=0.2')", timeout=10_000)
    map_page.wait_for_function(READY, arg=11)
    assert "k = 0.2" in map_page.inner_text("#map-figure-title")
    assert len(geo) == fetched
    assert map_page.errors == []


BAD_URLS = [("?area=TH99", "TH99"), ("?k=0", "k="), ("?k=1.5", "k="),
            ("?subject=ind:ZZ9", "ZZ9"), ("?measure=wealth", "wealth"), ("?round=2400", "2400"),
            ("?level=9", "level")]


def test_bad_parameters_give_a_message(map_page, live_server):
    for query, fragment in BAD_URLS:
        map_page.goto(f"{live_server}/map{query}")
        map_page.wait_for_selector("#map-error", timeout=20_000)
        message = map_page.inner_text("#map-error")
        assert fragment in message, query
        assert "Traceback" not in map_page.content()
        assert not map_page.is_visible("#map-body")
    # a good address after a bad one draws the map again
    _open(map_page, live_server, "?round=2566", 4)
    assert map_page.is_visible("#map-body") and not map_page.is_visible("#map-error")
    assert map_page.errors == []


def test_round_selector_keeps_the_view(map_page, live_server):
    _open(map_page, live_server, "?area=TH50&round=2566", 2)
    map_page.click("#shell-round")
    map_page.click("label.dash-dropdown-option:has(input[value='2565'])")
    map_page.wait_for_function("() => location.search.includes('round=2565')", timeout=10_000)
    map_page.wait_for_function(
        "() => document.querySelector('#map-caption').innerText.includes('2565')",
        timeout=10_000)
    assert "area=TH50" in map_page.url
    assert _locations(map_page) == ["TH5001", "TH5002"]
    assert map_page.errors == []
