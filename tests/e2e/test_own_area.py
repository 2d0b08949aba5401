"""Issue 10 items 6 and 12 in headless Chromium on the map tests' store: a provincial,
district or tambon user opens the overview and the map at their own area (the address
says so, and they can still zoom out to the country); an executive opens at the
country; a map switch slower than ~300 ms shows the loading indicator, which goes
once the new view is painted (the page's own requests made slow with the DevTools
protocol's network emulation: nothing in the product is mocked)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import text

from tests.auth_helpers import create_user, login

pytestmark = pytest.mark.browser

# The map has painted the view the address names (components/map_view.py data-*).
PAINTED = """() => { const f = document.querySelector('.chipao-map:has(#map-view)');
  if (!f || f.dataset.mapReady !== '1') return false;
  const key = new URLSearchParams(f.dataset.mapValues), now = new URLSearchParams(location.search);
  for (const [k, v] of now) { if (key.get(k) !== v) return false; }
  return !document.querySelector('[data-dash-is-loading="true"]'); }"""
OVERVIEW_DRAWN = """() => !!document.querySelector('#overview-top-title')
  && !document.querySelector('[data-dash-is-loading="true"]')"""


def _name(pcode: str) -> str:
    from queries.db import owner

    with owner() as conn:
        return conn.execute(text("SELECT name_th FROM area WHERE pcode = :p"),
                            {"p": pcode}).scalar_one()


def _params(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


@pytest.fixture
def signed_in(browser, live_server, map_store):
    contexts = []

    def open_as(role: str, areas: tuple[str, ...] = ()):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="th-TH")
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        login(page, live_server, *create_user(role, areas=areas))
        return page

    yield open_as
    for context in contexts:
        context.close()


# role, its areas, the overview's area, the map's state (area, level, sel)
HOMES = [
    ("province", ("TH50",), "TH50", {"area": "TH50", "level": "2"}),
    ("district", ("TH5001",), "TH5001", {"area": "TH5001", "level": "3"}),
    ("tambon", ("TH500101",), "TH500101", {"area": "TH5001", "level": "3", "sel": "TH500101"}),
]


@pytest.mark.parametrize(("role", "areas", "home", "map_state"), HOMES,
                         ids=[h[0] for h in HOMES])
def test_a_local_user_opens_at_their_own_area_and_may_zoom_out(signed_in, live_server, role,
                                                               areas, home, map_state):
    page = signed_in(role, areas)
    name = _name(home)
    # the overview (the page signing in lands on)
    page.goto(f"{live_server}/")
    page.wait_for_function(OVERVIEW_DRAWN, timeout=30_000)
    assert name in page.inner_text("h1")
    assert _params(page).get("area") == home  # the address says where
    ranked = page.locator("#overview-top-provinces tbody a").first.get_attribute("href")
    assert ranked.startswith(f"/map?area={home[:6]}")  # its districts or tambons
    page.reload()  # a reload (or a shared link) shows the same
    page.wait_for_function(OVERVIEW_DRAWN, timeout=30_000)
    assert name in page.inner_text("h1")
    # zoom out to the country through the breadcrumb
    page.locator("#overview-breadcrumb a", has_text="ประเทศไทย").click()
    page.wait_for_url("**/?area=TH**")
    page.wait_for_function("() => document.querySelector('h1').innerText.includes('ระดับประเทศ')")
    assert page.locator("#overview-top-title").inner_text().startswith("10 จังหวัด")

    # the map
    page.goto(f"{live_server}/map")
    page.wait_for_function(PAINTED, timeout=30_000)
    params = _params(page)
    assert {k: params.get(k) for k in map_state} == map_state, params
    assert page.inner_text("#map-panel-name") == name
    assert page.inner_text("#map-breadcrumb .map-crumb-current") == name
    # zoom out: the country stays the country on reload (level=1 in the address)
    page.locator("#map-breadcrumb a", has_text="ประเทศไทย").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('level') === '1'")
    page.wait_for_function(PAINTED, timeout=30_000)
    page.reload()
    page.wait_for_function(PAINTED, timeout=30_000)
    assert "area" not in _params(page) and _params(page).get("level") == "1"
    assert page.inner_text("#map-breadcrumb .map-crumb-current") == "ประเทศไทย"
    # the menu link (no area, no level) is home again
    page.locator("#shell-collapse a.nav-link[href^='/map']").click()
    page.wait_for_function(PAINTED, timeout=30_000)
    page.wait_for_function("(n) => document.querySelector('#map-breadcrumb .map-crumb-current')"
                           ".innerText === n", arg=name, timeout=30_000)
    assert page.errors == []


def test_an_executive_still_opens_at_the_country(signed_in, live_server):
    page = signed_in("executive")
    page.goto(f"{live_server}/")
    page.wait_for_function(OVERVIEW_DRAWN, timeout=30_000)
    assert "ระดับประเทศ" in page.inner_text("h1")
    assert "area" not in _params(page)
    assert page.locator("#overview-breadcrumb").count() == 0
    page.goto(f"{live_server}/map")
    page.wait_for_function(PAINTED, timeout=30_000)
    assert "area" not in _params(page)
    assert page.inner_text("#map-breadcrumb .map-crumb-current") == "ประเทศไทย"


def test_a_slow_map_switch_shows_the_loading_indicator_until_painted(signed_in, live_server):
    page = signed_in("executive")
    page.goto(f"{live_server}/map?level=2&area=TH50")
    page.wait_for_function(PAINTED, timeout=30_000)
    # the page has settled: the panel's trend chart is mounted after the map's first frame
    # (map_view.after_first_paint), and plotly.js loading then holds the main thread for
    # about a second, which would hold back the indicator of a switch made meanwhile
    page.wait_for_selector("#map-panel-trend-chart .main-svg", timeout=30_000)
    spinner = page.locator(".map-busy .busy-indicator")
    assert spinner.count() == 0 or not spinner.is_visible()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    # every request of the page now takes 1.5 s more: the switch is slow, for sure
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 1500,
                                                  "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    page.locator("#map-level input[value='3']").check()
    spinner.wait_for(state="visible", timeout=10_000)
    assert "กำลังโหลด" in spinner.inner_text()
    assert page.locator(".map-busy .map-frame").is_visible()  # dimmed, still in view
    spinner.wait_for(state="hidden", timeout=30_000)
    page.wait_for_function(PAINTED, timeout=30_000)
    assert _params(page).get("level") == "3"
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                  "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    cdp.detach()
