"""What a person reads on the poverty map, in headless Chromium through the DOM they
see: English grid headers are not cut off, numbers carry thousands separators and one
number of decimals a column; ranks say which end is the most deprived; a ranking click
brings the map into view; public viewers see a small count as withheld ("<5"), not as
missing data. A store of its own with enough households that a
province passes 1,000."""

from __future__ import annotations

import re

import pytest

from tests import factory
from tests.auth_helpers import create_user

pytestmark = pytest.mark.browser
HOUSEHOLDS = 9000
SPARSE = factory.MAP_SPARSE


@pytest.fixture(scope="module")
def store(database):
    from geodata.serve import invalidate_geometry_cache
    from queries.db import owner
    from tests.factory import insert_test_areas, isolated_store

    with isolated_store("chipao_map_reading") as url:
        invalidate_geometry_cache()
        with owner() as conn:
            tambons = insert_test_areas(conn, factory.MAP_LAYOUT, size=0.1)
            # the sparse tambon last: only a handful of households (a small count)
            factory.map_load(conn, factory.map_surveyed(tambons), HOUSEHOLDS, seed=3,
                             sparse_tambons=1)
        try:
            yield url
        finally:
            invalidate_geometry_cache()


@pytest.fixture(scope="module")
def context(signed_in_context, live_server, store):
    with signed_in_context(live_server, create_user("executive"), "/map", locale="en-GB",
                           lang="en") as ctx:
        yield ctx


def _cells(page, col: str) -> list[str]:
    sel = f"#map-ranking .ag-center-cols-container .ag-cell[col-id='{col}']"
    page.wait_for_selector(sel, timeout=30_000)
    return [c.strip() for c in page.locator(sel).all_inner_texts()]


def test_english_grid_headers_and_numbers(context, live_server):
    page = context.new_page()
    page.goto(f"{live_server}/map?measure=share")
    shares = [v for v in _cells(page, "value") if v]
    assert shares and all(re.fullmatch(r"\d{1,3}\.\d", v) for v in shares), shares
    header = page.locator("#map-ranking .ag-header-cell[col-id='value'] .ag-header-cell-text")
    assert "Share of households deprived" in header.inner_text()
    cut = header.evaluate("e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1")
    assert not cut, "the header is cut off"
    surveyed = _cells(page, "surveyed")
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", v) for v in surveyed), surveyed
    page.goto(f"{live_server}/map?measure=count")
    counts = [v for v in _cells(page, "value") if v]
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", v) for v in counts), counts
    page.close()


def test_ranking_click_brings_the_map_into_view_and_ranks_say_which_end(context, live_server):
    page = context.new_page()
    page.goto(f"{live_server}/map?measure=share")
    _cells(page, "name")
    title = page.inner_text("#map-ranking-title")
    assert "rank 1 = the most deprived" in title
    page.locator("#map-ranking").scroll_into_view_if_needed()
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    first = page.locator("#map-ranking .ag-center-cols-container .ag-cell[col-id='name']").first
    name = first.inner_text().strip()
    first.click()
    page.wait_for_function("() => location.search.includes('area=')", timeout=15_000)
    page.wait_for_function(
        "() => Math.abs(document.getElementById('map-body').getBoundingClientRect().top) < 80",
        timeout=10_000)
    assert name in page.inner_text("#map-breadcrumb")
    # a change map says which way is better
    page.goto(f"{live_server}/map?measure=share&compare=2565")
    page.wait_for_selector("#map-legend-direction", timeout=30_000)
    assert "Below 0 = better" in page.inner_text("#map-legend-direction")
    assert "largest rise" in page.inner_text("#map-ranking-title")
    page.close()


def test_public_viewer_sees_small_counts_as_withheld_not_missing(signed_in_context, live_server,
                                                                 store):
    with signed_in_context(live_server, create_user("public"), "/map") as ctx:
        page = ctx.new_page()
        page.goto(f"{live_server}/map?level=3&area=TH4001&measure=share")
        page.wait_for_selector("#map-legend .legend-suppressed", timeout=30_000)
        legend = page.inner_text("#map-legend")
        assert "<5 · ปกปิด" in legend
        assert "ไม่มีข้อมูล" not in legend  # every tambon here has households
        row = page.locator(f"#map-ranking .ag-row[row-id='{SPARSE}'] .ag-cell[col-id='note']")
        assert row.inner_text().strip().startswith("<5")
        # the tambon is drawn in the withheld colour (a class of its own), not left out
        from components.theme import SUPPRESSED

        page.wait_for_function("(p) => window.chipaoMaps && window.chipaoMaps['map-view'] && "
                               "window.chipaoMaps['map-view'].featureState(p)", arg=SPARSE,
                               timeout=30_000)
        state = page.evaluate("(p) => window.chipaoMaps['map-view'].featureState(p)", SPARSE)
        assert state["c"] == -2 and state["fill"] == SUPPRESSED, state
