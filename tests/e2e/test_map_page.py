"""The poverty map in headless Chromium against the real dashboard and a real PostGIS:
the page loads without console errors, a click on a province shows its districts (and
the back button returns), the keyboard picks areas too, a URL with state reproduces the
view, a switch recolours the right areas and sends values only (no geometry), bad
parameters give a message, the round selector keeps the view. The map is driven
through its own DOM (labels, keys) and read back through window.chipaoMaps."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.auth_helpers import create_user
from tests.e2e.conftest import watched

pytestmark = pytest.mark.browser


MAP = "map-view"
FRAME = ".chipao-map:has(#map-view)"
# The map component has painted the values of the address bar's view over `n` areas
# (components/map_view.py: the frame's data-* attributes, set on chipao:map-painted).
PAINTED = """(n) => { const f = document.querySelector('.chipao-map:has(#map-view)');
  if (!f || f.dataset.mapReady !== '1' || f.dataset.mapAreas !== String(n)) return false;
  const key = new URLSearchParams(f.dataset.mapValues), now = new URLSearchParams(location.search);
  for (const [k, v] of now) { if (key.get(k) !== v) return false; }
  return !document.querySelector('[data-dash-is-loading="true"]'); }"""


@pytest.fixture(scope="module")
def executive(map_store, live_server):
    return create_user("executive")


@pytest.fixture(scope="module")
def map_context(signed_in_context, live_server, executive):
    """One signed-in browser context for the module (pages share its session)."""
    with signed_in_context(live_server, executive, "/map") as context:
        yield context


@pytest.fixture
def map_page(map_context):
    """A fresh page that records console errors in page.errors."""
    pg = watched(map_context.new_page(), csp=True)
    yield pg
    pg.close()


def _open(page, live_server: str, query: str, n: int) -> None:
    page.goto(f"{live_server}/map{query}")
    page.wait_for_function(PAINTED, arg=n, timeout=30_000)


def _paint(page) -> int:
    return int(page.get_attribute(FRAME, "data-map-paint") or 0)


def _wait_repaint(page, before: int, n: int) -> None:
    """A new paint after `before`, of the current address's view over `n` areas."""
    page.wait_for_function(
        "(b) => +document.querySelector('.chipao-map:has(#map-view)').dataset.mapPaint > b",
        arg=before, timeout=20_000)
    page.wait_for_function(PAINTED, arg=n, timeout=20_000)


def _locations(page) -> list[str]:
    return page.evaluate(f"() => window.chipaoMaps['{MAP}'].areas()")

# The outline layer draws exactly these "kind:P-code" (sel, focus), read back from what
# MapLibre rendered.
OUTLINED = """(want) => { const m = window.chipaoMaps['map-view'].map;
  if (!m.getLayer('outline')) return false;
  const got = [...new Set(m.queryRenderedFeatures({layers: ['outline']}).map(
    f => f.properties.kind + ':' + f.properties.pcode))].sort();
  return JSON.stringify(got) === JSON.stringify([...want].sort()); }"""


def _states(page) -> dict[str, dict]:
    """The feature-state (class index, fill, selection) of every area, read back from
    MapLibre through the component's reader."""
    return page.evaluate(f"""() => {{ const m = window.chipaoMaps['{MAP}'];
        return Object.fromEntries(m.areas().map(p => [p, m.featureState(p)])); }}""")


def _click_area(page, pcode: str) -> None:
    """A real mouse click on the area's name on the map (an HTML label over the area)."""
    label = page.locator(f"{FRAME} .chipao-map-label[data-pcode='{pcode}']")
    label.scroll_into_view_if_needed()
    label.click()


def test_page_loads_without_console_errors(map_page, live_server):
    response = map_page.goto(f"{live_server}/map")
    csp = response.headers["content-security-policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-eval'" not in script_src and "'unsafe-inline'" not in script_src
    _open(map_page, live_server, "", 4)
    assert _locations(map_page) == ["TH10", "TH40", "TH50", "TH77"]
    assert map_page.inner_text("#map-breadcrumb").strip() == "ประเทศไทย"
    caption = map_page.inner_text("#map-caption")
    assert "พ.ศ. 2566" in caption and "ที่มา" in caption
    attribution = map_page.inner_text(".map-attribution")
    assert "OCHA" in attribution and "Royal Thai Survey Department" in attribution
    # the legend is inside the map's frame and lists the classes the areas are painted in
    legend = map_page.locator(f"{FRAME} #map-legend")
    assert "%" in legend.inner_text() and "ไม่มีข้อมูล" in legend.inner_text()  # TH77: none
    states = _states(map_page)
    assert states["TH77"]["c"] is None and states["TH77"]["fill"] == "#ffffff"
    swatches = map_page.eval_on_selector_all(
        "#map-legend .legend-swatch:not(.legend-insufficient):not(.legend-nodata)",
        "els => els.map(e => getComputedStyle(e).backgroundColor)")
    fills = map_page.evaluate("""(ps) => ps.map(p => { const d = document.createElement('div');
        d.style.color = window.chipaoMaps['map-view'].featureState(p).fill;
        document.body.appendChild(d); const c = getComputedStyle(d).color; d.remove();
        return c; })""", ["TH10", "TH40", "TH50"])
    for p, fill in zip(["TH10", "TH40", "TH50"], fills, strict=True):
        c = states[p]["c"]
        assert isinstance(c, int) and 0 <= c < len(swatches) and swatches[c] == fill, p
    assert "TPMAP" in map_page.inner_text("#map-definition")
    map_page.wait_for_selector("#map-ranking .ag-row")
    assert map_page.locator("#map-ranking .ag-center-cols-container .ag-row").count() == 4
    # an accessible name, and the keyboard help tied to the focusable canvas
    canvas = map_page.locator("#map-view canvas")
    assert "แผนที่" in canvas.get_attribute("aria-label")
    assert canvas.get_attribute("aria-describedby") == "map-view-keys"
    # names on the map; hover on one: name (from the geometry), figure and rank
    label = map_page.locator(f"{FRAME} .chipao-map-label[data-pcode='TH50']")
    assert label.inner_text() == "จังหวัดทดสอบ TH50"
    label.hover()
    tip = map_page.locator(f"{FRAME} .chipao-map-tooltip[data-pcode='TH50']")
    tip.wait_for(state="visible")
    rank = next(r for r in map_page.evaluate(
        "() => [...document.querySelectorAll('#map-ranking .ag-row')].map(r => r.innerText)")
        if "TH50" in r)
    hover = tip.inner_text()
    assert "จังหวัดทดสอบ TH50" in hover and "อันดับ" in hover and "/3" in hover
    assert hover.split("อันดับ: ")[1].split("/")[0].strip() == rank.split()[0]
    # the vendored MapLibre loads once as a page script, its worker never does
    scripts = map_page.evaluate("() => [...document.scripts].map(s => s.src)")
    assert sum("maplibre-gl-csp.js" in s for s in scripts) == 1
    assert not any("worker" in s for s in scripts)
    # MapLibre ran from its served worker file, without eval or inline script
    assert map_page.evaluate("() => window.__cspViolations") == []
    assert map_page.errors == []


def test_click_on_a_province_shows_its_districts(map_page, live_server):
    _open(map_page, live_server, "?round=2566", 4)
    _click_area(map_page, "TH50")
    map_page.wait_for_function("() => location.search.includes('area=TH50')", timeout=10_000)
    map_page.wait_for_function(PAINTED, arg=2, timeout=20_000)
    assert _locations(map_page) == ["TH5001", "TH5002"]
    assert "จังหวัดทดสอบ TH50" in map_page.inner_text("#map-breadcrumb")
    assert map_page.inner_text("#map-panel-name") == "จังหวัดทดสอบ TH50"
    # a district opens its tambons; a tambon selects it, with the households link
    _click_area(map_page, "TH5001")
    map_page.wait_for_function("() => location.search.includes('area=TH5001')",
                               timeout=10_000)
    map_page.wait_for_function(PAINTED, arg=3, timeout=20_000)
    assert _locations(map_page) == ["TH500101", "TH500102", "TH500103"]
    before = _paint(map_page)
    _click_area(map_page, "TH500102")
    map_page.wait_for_function("() => location.search.includes('sel=TH500102')",
                               timeout=10_000)
    _wait_repaint(map_page, before, 3)
    map_page.wait_for_selector("#map-households-link")
    assert map_page.get_attribute("#map-households-link", "href") == \
        "/households?area=TH500102"
    states = _states(map_page)
    assert [p for p, s in states.items() if s["sel"]] == ["TH500102"]
    assert map_page.get_attribute(FRAME, "data-selected") == "TH500102"
    map_page.wait_for_function(OUTLINED, arg=["sel:TH500102"], timeout=10_000)  # drawn
    # the browser's back button steps back through the views
    map_page.go_back()
    map_page.wait_for_function("() => !location.search.includes('sel=')", timeout=10_000)
    map_page.go_back()
    map_page.wait_for_function(PAINTED, arg=2, timeout=20_000)
    map_page.go_back()
    map_page.wait_for_function(PAINTED, arg=4, timeout=20_000)
    assert map_page.inner_text("#map-breadcrumb").strip() == "ประเทศไทย"
    # the breadcrumb leads back up as well
    _open(map_page, live_server, "?area=TH5001&round=2566", 3)
    map_page.click("#map-breadcrumb a:has-text('จังหวัดทดสอบ TH50')")
    map_page.wait_for_function(PAINTED, arg=2, timeout=20_000)
    assert "area=TH50&" in map_page.url or map_page.url.endswith("area=TH50")
    assert map_page.errors == []


def test_keyboard_picks_and_opens_an_area(map_page, live_server):
    _open(map_page, live_server, "?round=2566", 4)
    map_page.focus("#map-view canvas")
    assert map_page.is_visible("#map-view-keys")  # the keys are explained on focus
    for _ in range(3):  # ] steps through the areas in P-code order: TH10, TH40, TH50
        map_page.keyboard.press("]")
    assert map_page.get_attribute(FRAME, "data-focused") == "TH50"
    assert _states(map_page)["TH50"]["focus"] is True
    map_page.wait_for_function(OUTLINED, arg=["focus:TH50"], timeout=10_000)
    live = map_page.inner_text(f"{FRAME} .chipao-map-live")
    assert "จังหวัดทดสอบ TH50" in live and "อันดับ" in live
    map_page.keyboard.press("[")
    assert map_page.get_attribute(FRAME, "data-focused") == "TH40"
    map_page.wait_for_function(OUTLINED, arg=["focus:TH40"], timeout=10_000)  # TH50's went
    map_page.keyboard.press("]")
    map_page.keyboard.press("Enter")
    map_page.wait_for_function("() => location.search.includes('area=TH50')", timeout=10_000)
    map_page.wait_for_function(PAINTED, arg=2, timeout=20_000)
    assert _locations(map_page) == ["TH5001", "TH5002"]
    # arrows pan, + zooms: the map's own keyboard handler on the focused canvas
    centre = map_page.evaluate("() => window.chipaoMaps['map-view'].map.getCenter().toArray()")
    map_page.focus("#map-view canvas")
    map_page.keyboard.press("ArrowRight")
    map_page.wait_for_function(
        "(c) => window.chipaoMaps['map-view'].map.getCenter().lng > c[0]", arg=centre)
    assert map_page.errors == []


def test_url_with_state_reproduces_the_view(map_page, live_server):
    from chipao.domain.mapstate import parse_state
    from chipao.domain.scope import Scope
    from components.i18n import round_label
    from pages.map import _hover
    from queries import mpi
    from queries.db import owner

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
    # the hover of each area shows the figures SQL gives
    for i, pcode in enumerate(_locations(map_page)):
        map_page.evaluate("(p) => window.chipaoMaps['map-view'].focusArea(p)", pcode)
        tip = map_page.inner_text(f"{FRAME} .chipao-map-tooltip[data-pcode='{pcode}']")
        assert texts[i] in tip, pcode
        assert (f"{ranks[i]}/{values.ranked}" if ranks[i] else "–") in tip, pcode
    # a diverging palette for change; the controls show the state
    from components.theme import DIVERGING

    states = _states(map_page)
    assert {s["fill"] for s in states.values() if s["c"] is not None and s["c"] >= 0} <= \
        set(DIVERGING[1:8])
    assert map_page.input_value("#map-k") == "0.5"
    assert map_page.is_checked("#map-level input[value='3']")
    assert "สุขภาพ" in map_page.inner_text("#map-subject")
    assert map_page.errors == []


def test_a_switch_recolours_the_areas_and_sends_values_only(map_page, live_server):
    from chipao.domain.scope import Scope
    from pages.map import compute_view

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
    # the whole country's tambons come as the vector tiles on screen, with their labels
    assert geo and all(".mvt?v=" in u or ".labels.json?v=" in u for u in geo), geo
    assert sum(".labels.json" in u for u in geo) == 1
    loaded = list(geo)
    before_states = _states(map_page)
    bodies.clear()
    before = _paint(map_page)
    map_page.click("#map-subject")
    map_page.click("label.dash-dropdown-option:has(input[value='dim:living'])")
    map_page.wait_for_function("() => location.search.includes('living')", timeout=10_000)
    _wait_repaint(map_page, before, 11)
    assert geo == loaded, "the geometry must not travel again"
    assert bodies and all(b"FeatureCollection" not in b and b"coordinates" not in b
                          for b in bodies)
    assert "ความเป็นอยู่" in map_page.inner_text("#map-figure-title")
    # every area carries the class and colour the server computed for the new view
    view = compute_view("?level=3&round=2566&subject=dim:living", Scope("t", "executive"),
                        "th", "3:")
    expected = view["map-values.data"]
    states = _states(map_page)
    for i, pcode in enumerate(view["map-spec.data"]["ids"]):
        c = expected["c"][i]
        assert states[pcode]["c"] == c, pcode
        assert states[pcode]["fill"] == ("#ffffff" if c is None else expected["few_color"]
                                         if c < 0 else expected["colors"][c]), pcode
    assert states != before_states  # the switch changed some areas' colours
    # k and measure too
    before = _paint(map_page)
    map_page.click("#map-measure")
    map_page.click("label.dash-dropdown-option:has(input[value='H'])")
    map_page.wait_for_function("() => location.search.includes('measure=H')", timeout=10_000)
    _wait_repaint(map_page, before, 11)
    before = _paint(map_page)
    map_page.fill("#map-k", "0.2")
    map_page.press("#map-k", "Enter")
    map_page.wait_for_function("() => location.search.includes('k=0.2')", timeout=10_000)
    _wait_repaint(map_page, before, 11)
    assert "k = 0.2" in map_page.inner_text("#map-figure-title")
    assert geo == loaded
    assert map_page.errors == []


def _pick(page, control: str, value: str) -> None:
    page.click(f"#{control}")
    page.click(f"label.dash-dropdown-option:has(input[value='{value}'])")


def test_controls_changed_while_the_server_answers_all_apply(map_page, live_server):
    """A user quicker than the server: a dimension, then another and a measure while the
    first answer is still on its way (held here). Dash sends the later changes together
    (one request, both inputs changed); the view drawn has both, and the first (slow)
    answer does not put the dimension control back."""
    _open(map_page, live_server, "?level=3&round=2566", 11)
    held: list = []
    released: list[bool] = []
    sent: list[list[str]] = []
    map_page.on("request", lambda r: sent.append(r.post_data_json["changedPropIds"])
                if "/_dash-update-component" in r.url else None)
    map_page.route(lambda url: "/_dash-update-component" in url,
                   lambda route: route.continue_() if released else held.append(route))
    _pick(map_page, "map-subject", "dim:living")
    _pick(map_page, "map-subject", "dim:health")
    _pick(map_page, "map-measure", "M0")
    assert held, "the first answer is held"
    released.append(True)
    for route in held:  # in the order sent
        route.continue_()
    map_page.wait_for_function("""() => location.search.includes('subject=dim%3Ahealth')
        && location.search.includes('measure=M0')""", timeout=20_000)
    map_page.wait_for_function(PAINTED, arg=11, timeout=20_000)
    assert "สุขภาพ" in map_page.inner_text("#map-subject")
    assert "M0" in map_page.inner_text("#map-measure")
    assert "measure=M0" in map_page.get_attribute(FRAME, "data-map-values")
    # the address the view's callback wrote is not sent back to it (chipao.addressOfView)
    assert not any("map-address.data" in ids for ids in sent)
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
    before = _paint(map_page)
    map_page.click("#shell-round")
    map_page.click("label.dash-dropdown-option:has(input[value='2565'])")
    map_page.wait_for_function("() => location.search.includes('round=2565')", timeout=10_000)
    map_page.wait_for_function(
        "() => document.querySelector('#map-caption').innerText.includes('2565')",
        timeout=10_000)
    _wait_repaint(map_page, before, 2)
    assert "area=TH50" in map_page.url
    assert _locations(map_page) == ["TH5001", "TH5002"]
    assert map_page.errors == []


def test_public_view_shows_suppressed_areas_as_suppressed(signed_in_context, map_store,
                                                         live_server):
    """A public viewer: TH400102 (3 households) is painted and named as suppressed and
    its count never shown (queries/suppression.py decides what else is hidden)."""
    from components.theme import SUPPRESSED
    from queries.suppression import threshold

    with signed_in_context(live_server, create_user("public"), "/map") as context:
        page = watched(context.new_page())
        _open(page, live_server, "?level=3&area=TH4001&measure=count&round=2566", 2)
        states = _states(page)
        assert states["TH400102"]["c"] == -2 and states["TH400102"]["fill"] == SUPPRESSED
        hidden = f"น้อยกว่า {threshold()}"
        assert hidden in page.inner_text("#map-legend")
        page.evaluate("() => window.chipaoMaps['map-view'].focusArea('TH400102')")
        tip = page.inner_text(f"{FRAME} .chipao-map-tooltip[data-pcode='TH400102']")
        assert hidden in tip
        cells = page.locator("#map-ranking .ag-row[row-id='TH400102'] .ag-cell")
        assert "3" not in [c.strip() for c in cells.all_inner_texts()]  # the count stays hidden
        assert page.errors == []


def _callbacks(url: str) -> bool:
    """The page's callback requests."""
    return "/_dash-update-component" in url


def _hold_callbacks(page) -> list:
    """Hold the page's callback requests (Playwright routing) until released."""
    held: list = []
    page.route(_callbacks, lambda route: held.append(route))
    return held


def _release(page, held: list) -> None:
    for route in held:  # in the order sent
        route.continue_()
    page.unroute(_callbacks)


def _drawn_while_held(page, act) -> list:
    """Hold the page's callbacks, `act`, and wait for the map's next paint: a view drawn
    before the server has answered. Returns the held callbacks (for _release)."""
    held = _hold_callbacks(page)
    before = _paint(page)
    act()
    page.wait_for_function(
        "(b) => +document.querySelector('.chipao-map:has(#map-view)').dataset.mapPaint > b",
        arg=before, timeout=10_000)
    assert held, "the page's callback is still waiting for the server"
    return held


def _drawn_as_the_server_answers(states: dict, query: str) -> None:
    """The class of every area in `states` is the one the page's callback gives `query`."""
    from chipao.domain.scope import Scope
    from pages.map import compute_view

    view = compute_view(query, Scope("t", "executive"), "th", "3:")
    expected = view["map-values.data"]
    for i, pcode in enumerate(view["map-spec.data"]["ids"]):
        assert states[pcode]["c"] == expected["c"][i], pcode


def _release_until_answered(page, held: list, in_address: str, n: int) -> None:
    """Release the held callbacks; wait for the page's answer to replace the view drawn
    ahead (the address names `in_address`, over `n` areas)."""
    _release(page, held)
    page.wait_for_function("(s) => location.search.includes(s)", arg=in_address,
                           timeout=10_000)
    page.wait_for_function(
        "() => !document.querySelector('.chipao-map:has(#map-view)').dataset.ahead",
        timeout=10_000)
    page.wait_for_function(PAINTED, arg=n, timeout=20_000)


def test_a_view_fetched_ahead_is_drawn_before_the_server_answers(map_page, live_server):
    """Once the map has fetched the next views (every dimension and measure of the view
    drawn), choosing a dimension draws it at once — colours and legend — while the
    page's own callback is still held; its answer then leaves the same colours and the
    same legend, and the map is not dimmed as busy in between."""
    _open(map_page, live_server, "?level=3&round=2566", 11)
    map_page.wait_for_selector(f"{FRAME}[data-map-ahead]", state="attached", timeout=20_000)
    before_states = _states(map_page)
    held = _drawn_while_held(map_page, lambda: _pick(map_page, "map-subject", "dim:living"))
    assert "subject=dim%3Aliving" in map_page.get_attribute(FRAME, "data-ahead")
    ahead_states = _states(map_page)
    assert ahead_states != before_states
    ahead_legend = map_page.inner_text(f"{FRAME} .chipao-map-legend-ahead")
    assert map_page.is_visible(f"{FRAME} .chipao-map-legend-ahead")
    assert not map_page.is_visible("#map-legend")  # the old view's legend is not shown
    # the page's busy indicator comes (the callback is held) but not over the map drawn
    map_page.wait_for_selector(".map-busy .busy-indicator", state="attached", timeout=10_000)
    assert not map_page.is_visible(".map-busy .busy-indicator")
    assert map_page.evaluate("""() => [...document.querySelectorAll('.map-busy *')]
        .filter(e => e.contains(document.getElementById('map-view')))
        .every(e => getComputedStyle(e).opacity === '1')""")
    _drawn_as_the_server_answers(ahead_states, "?level=3&round=2566&subject=dim:living")
    _release_until_answered(map_page, held, "living", 11)
    assert _states(map_page) == ahead_states
    assert map_page.inner_text("#map-legend") == ahead_legend
    assert not map_page.is_visible(f"{FRAME} .chipao-map-legend-ahead")
    assert map_page.errors == []


def test_the_round_before_is_fetched_ahead_and_drawn_before_the_router_answers(map_page,
                                                                             live_server):
    """The rounds next to the view's are fetched ahead too: choosing one in the shell's
    selector draws it at once, while the page's router and callbacks are still held."""
    _open(map_page, live_server, "?level=3&round=2566", 11)
    map_page.wait_for_selector(f"{FRAME}[data-map-ahead]", state="attached", timeout=20_000)
    before_states = _states(map_page)

    def choose():
        map_page.click("#shell-round")
        map_page.click("label.dash-dropdown-option:has(input[value='2565'])")

    held = _drawn_while_held(map_page, choose)
    assert "round=2565" in map_page.get_attribute(FRAME, "data-ahead")
    drawn = _states(map_page)
    assert drawn != before_states
    _drawn_as_the_server_answers(drawn, "?level=3&round=2565")
    _release_until_answered(map_page, held, "round=2565", 11)
    assert _states(map_page) == drawn
    assert "2565" in map_page.inner_text("#map-caption")
    assert map_page.errors == []


def test_a_typed_cut_off_is_fetched_at_once_and_drawn_before_the_page_answers(map_page,
                                                                            live_server):
    """The cut-off k can be any number, so no view of it is fetched ahead: once typed,
    its view is fetched at once beside the page's own callback (held here) and drawn
    first, legend included; the page's answer then leaves the same colours. A newer
    answer is never overdrawn by an older one."""
    _open(map_page, live_server, "?level=3&round=2566&measure=H", 11)
    before_states = _states(map_page)
    held = _drawn_while_held(map_page, lambda: (map_page.fill("#map-k", "0.2"),
                                                map_page.press("#map-k", "Enter")))
    assert "k=0.2" in map_page.get_attribute(FRAME, "data-ahead")
    drawn = _states(map_page)
    assert drawn != before_states
    assert map_page.is_visible(f"{FRAME} .chipao-map-legend-ahead")
    _drawn_as_the_server_answers(drawn, "?level=3&round=2566&measure=H&k=0.2")
    _release_until_answered(map_page, held, "k=0.2", 11)
    assert _states(map_page) == drawn
    assert map_page.get_attribute(FRAME, "data-map-now").startswith("drawn ")
    # an on-demand view that comes after the page's answer is not drawn over it
    slow: list = []
    map_page.route("**/map/ahead?*", lambda route: slow.append(route))
    map_page.fill("#map-k", "0.6")
    map_page.press("#map-k", "Enter")
    map_page.wait_for_function("() => location.search.includes('k=0.6')", timeout=20_000)
    map_page.wait_for_function(PAINTED, arg=11, timeout=20_000)
    answered = _states(map_page)
    assert slow, "the view of k=0.6 was asked for on demand"
    for route in slow:
        route.continue_()
    map_page.unroute("**/map/ahead?*")
    map_page.wait_for_function(  # the component has the late view, and left it
        "() => (document.querySelector('.chipao-map:has(#map-view)').dataset.mapNow || '')"
        ".startsWith('late ')", timeout=20_000)
    assert "k=0.6" in map_page.get_attribute(FRAME, "data-map-now")
    assert not map_page.get_attribute(FRAME, "data-ahead")
    assert _states(map_page) == answered
    assert map_page.errors == []


def test_a_cut_off_being_typed_is_fetched_before_its_enter(map_page, live_server):
    """A value typed into k is fetched once the typing rests, before Enter: Enter then
    draws that view at once, without asking for it again."""
    _open(map_page, live_server, "?level=3&round=2566&measure=H", 11)
    asked: list[str] = []
    map_page.on("request", lambda r: "/map/ahead?" in r.url and asked.append(r.url))
    map_page.click("#map-k", click_count=3)
    with map_page.expect_response(lambda r: "/map/ahead?" in r.url and "k=0.25" in r.url):
        map_page.keyboard.type("0.25")
    assert [u for u in asked if "k=0.25" in u]  # before any Enter
    held = _drawn_while_held(map_page, lambda: map_page.press("#map-k", "Enter"))
    assert "k=0.25" in map_page.get_attribute(FRAME, "data-ahead")
    assert map_page.get_attribute(FRAME, "data-map-now").startswith("drawn ")
    assert len([u for u in asked if "k=0.25" in u]) == 1  # Enter asked for nothing new
    _drawn_as_the_server_answers(_states(map_page), "?level=3&round=2566&measure=H&k=0.25")
    _release_until_answered(map_page, held, "k=0.25", 11)
    assert map_page.errors == []


def test_a_drill_down_fetched_ahead_is_drawn_before_the_server_answers(map_page,
                                                                       live_server):
    """Pointing at a province (its name on the map) fetches its drill-down; the click
    then draws its districts at once while the page's callback is held; a district
    clicked before the answer waits for it and then opens; nothing is lost."""
    _open(map_page, live_server, "?round=2566", 4)
    map_page.hover(f"{FRAME} .chipao-map-label[data-pcode='TH50']")
    map_page.wait_for_function(
        """() => (document.querySelector('.chipao-map:has(#map-view)').dataset.mapDrillAhead
                  || '').includes('area=TH50')""", timeout=20_000)
    held = _hold_callbacks(map_page)
    map_page.click(f"{FRAME} .chipao-map-label[data-pcode='TH50']")
    map_page.wait_for_function(
        """() => { const f = document.querySelector('.chipao-map:has(#map-view)');
          return (f.dataset.ahead || '').includes('area=TH50') && f.dataset.mapAreas === '2'
                 && (f.dataset.mapValues || '').includes('area=TH50'); }""", timeout=10_000)
    assert held and "/geo/2/TH50.geojson" in map_page.get_attribute(FRAME, "data-map-geometry")
    assert _locations(map_page) == ["TH5001", "TH5002"]
    ahead_states = _states(map_page)
    sent = len(held)
    # a district picked now (by the keyboard, on the districts drawn) waits for the answer
    map_page.evaluate(f"() => window.chipaoMaps['{MAP}'].focusArea('TH5001')")
    map_page.focus(f"{FRAME} canvas")
    map_page.keyboard.press("Enter")
    assert len(held) == sent, "no request before the drill-down's answer"
    _release(map_page, held)
    map_page.wait_for_function("() => location.search.includes('area=TH5001')",
                               timeout=20_000)
    map_page.wait_for_function(PAINTED, arg=3, timeout=20_000)
    assert _locations(map_page) == ["TH500101", "TH500102", "TH500103"]
    assert "จังหวัดทดสอบ TH50" in map_page.inner_text("#map-breadcrumb")
    # the province's view the server drew had the colours drawn ahead
    map_page.go_back()
    map_page.wait_for_function(PAINTED, arg=2, timeout=20_000)
    assert _states(map_page) == ahead_states
    assert map_page.errors == []


def test_values_ahead_are_scoped_like_the_page(signed_in_context, map_store, live_server):
    """/map/ahead answers a public viewer with the public view's values (its small
    counts suppressed), exactly as the page draws them; parameters that describe no
    map get a 404 with a message, never a 500."""
    from chipao.domain.scope import Scope
    from pages.map import compute_view

    query = "?level=3&area=TH4001&measure=count&round=2566"
    with signed_in_context(live_server, create_user("public"), "/map") as context:
        page = watched(context.new_page())
        _open(page, live_server, query, 2)
        fetch = """(u) => fetch(u, {credentials: 'same-origin'})
            .then(async r => ({status: r.status, body: await r.json()}))"""
        got = page.evaluate(fetch, f"/map/ahead{query}")
        assert got["status"] == 200
        ids = page.evaluate(f"() => window.chipaoMaps['{MAP}'].areas()")
        assert got["body"]["c"][ids.index("TH400102")] == -2
        expected = compute_view(query, Scope("t", "public"), "th", None)["map-values.data"]
        assert got["body"] == expected
        # the drill-down fetched ahead: the same public values, with the new geometry
        drill = page.evaluate(fetch, f"/map/ahead/drill{query}")
        assert drill["status"] == 200
        assert drill["body"]["values"] == expected
        assert drill["body"]["spec"]["geometry"] == expected["geometry"]
        assert drill["body"]["spec"]["ids"] == ids
        for bad in ("?area=TH99", "?k=0", "?level=4&area=TH400102"):
            for path in ("/map/ahead", "/map/ahead/drill"):
                refused = page.evaluate(fetch, f"{path}{bad}")
                assert refused["status"] == 404, (path, bad)
                assert "message" in refused["body"], (path, bad)
        # a NUL byte is refused before any view (chipao.web.request_checks)
        nul = page.evaluate("""(u) => fetch(u).then(async r => ({status: r.status,
            text: await r.text()}))""", "/map/ahead?area=TH40%00")
        assert nul["status"] == 400 and "Traceback" not in nul["text"]
        # the console names the refused requests above, and nothing else
        assert len(page.errors) == 7
        assert all("Failed to load resource" in e for e in page.errors), page.errors


# When the panel's trend chart is first in the page, and whether the map had painted
# its first frame by then (a MutationObserver: no timing involved).
CHART_SEEN = """window.__chartSeen = null;
new MutationObserver(() => {
  if (window.__chartSeen || !document.getElementById('map-panel-trend-chart')) return;
  const f = document.querySelector('.chipao-map:has(#map-view)');
  window.__chartSeen = {mapReady: !!f && f.dataset.mapReady === '1'};
}).observe(document, {childList: true, subtree: true});"""


def test_the_panel_chart_is_mounted_after_the_map_first_frame(map_page, live_server):
    """The area profile's trend chart (Plotly: ~1 s of the browser's main thread) is
    mounted only once the map has painted, so it never delays the map's first frame;
    the trend's table is there from the start."""
    map_page.add_init_script(CHART_SEEN)
    _open(map_page, live_server, "?area=TH50&round=2566", 2)
    map_page.wait_for_selector("#map-panel-trend-chart .main-svg", timeout=20_000)
    assert map_page.evaluate("() => window.__chartSeen") == {"mapReady": True}
    assert map_page.locator("#map-panel-trend-table tbody tr").count() == 2
    assert map_page.errors == []


def test_the_panel_chart_is_shown_when_the_map_cannot_start(signed_in_context, executive,
                                                             live_server):
    """Without WebGL the map cannot start; the chart that waits for its first frame is
    mounted all the same."""
    with signed_in_context(live_server, executive, "/map") as context:
        page = context.new_page()
        page.add_init_script("""const get = HTMLCanvasElement.prototype.getContext;
            HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
              return /webgl/.test(kind) ? null : get.call(this, kind, ...rest); };""")
        page.goto(f"{live_server}/map?area=TH50&round=2566")
        page.wait_for_selector("#map-panel-trend-chart .main-svg", timeout=20_000)
        assert page.get_attribute(FRAME, "data-map-ready") is None


def test_the_print_image_loads_after_the_map_has_painted(map_page, live_server):
    """The server's static picture of the view (print) is requested only after the map
    has painted the view (rendering it costs the server 0.3–1 s, which the view's own
    tiles and geometry would wait for); it then follows the view."""
    requested: list = []
    map_page.on("request", lambda r: "/export/map.png" in r.url and requested.append(r.url))
    map_page.add_init_script("""document.addEventListener('chipao:map-ready', () => {
        window.__printAtPaint = document.querySelector('.chipao-map-print')
                                        .getAttribute('src'); });""")
    _open(map_page, live_server, "?area=TH50&round=2566", 2)
    assert map_page.evaluate("() => window.__printAtPaint") is None
    loaded = """(want) => { const i = document.querySelector('.chipao-map-print');
        return i.complete && i.naturalWidth > 0 && (i.getAttribute('src') || '').includes(want); }"""
    map_page.wait_for_function(loaded, arg="purpose=print", timeout=20_000)
    assert len(requested) == 1 and "purpose=print" in requested[0]
    _pick(map_page, "map-subject", "dim:income")
    map_page.wait_for_function(loaded, arg="income", timeout=20_000)
    assert map_page.errors == []


def test_a_print_before_the_views_picture_has_loaded_shows_the_view_drawn(map_page,
                                                                          live_server,
                                                                          tmp_path):
    """The server's picture of a view loads a second after the view is painted; a print
    before it has loaded (here: its request held on the network) shows a snapshot of the
    map as drawn, never an empty frame; the picture then loads for the next print."""
    import subprocess
    from pathlib import Path

    import numpy as np
    from PIL import Image

    held: list = []
    released = False

    def hold(route):  # the server's answer comes only once released
        if released:
            route.continue_()
        else:
            held.append(route)

    map_page.route("**/export/map.png*", hold)
    _open(map_page, live_server, "?area=TH50&round=2566", 2)
    pdf = tmp_path / "map.pdf"
    map_page.pdf(path=str(pdf), format="A4", print_background=True)  # fires beforeprint
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "img")], check=True)
    images = [Image.open(p).convert("RGB") for p in sorted(Path(tmp_path).glob("img-*.png"))]
    assert images, "the print has no picture of the map"
    biggest = max(images, key=lambda im: im.size[0] * im.size[1])
    assert biggest.size[0] >= 600, [im.size for im in images]  # the map, not a broken-image icon
    pixels = np.asarray(biggest).astype(int)
    assert ((pixels.max(axis=2) - pixels.min(axis=2)) > 60).mean() > 0.02  # coloured areas
    released = True
    for route in held:
        route.continue_()
    map_page.wait_for_function("""() => { const i = document.querySelector('.chipao-map-print');
        return i.complete && i.naturalWidth > 0 && i.getAttribute('src').includes('purpose=print'); }""",
                               timeout=20_000)
    assert map_page.errors == []
