"""The map's village level in headless Chromium against the real dashboard and PostGIS:
a provincial officer opens a tambon, follows the panel's link to its villages and sees
them as points coloured by the class each vector tile carries — the classes of the
page's own values and legend — with the ranking listing every village, the one without
a located household included (it is not drawn). Read back through the component's
reader (window.chipaoMaps[id].villages(): the rendered features) and the ranking's DOM."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from queries.db import owner
from tests import factory
from tests.e2e.conftest import watched

pytestmark = pytest.mark.browser

MAP = "map-view"
TAMBON = "TH500101"
UNLOCATED = 5  # this tambon's village 5 has no located household
# The component has painted the address bar's view at the village level, its village
# tiles loaded (components/map_view.py: the frame's data-* attributes).
PAINTED_VILLAGES = """() => { const f = document.querySelector('.chipao-map:has(#map-view)');
  if (!f || f.dataset.mapReady !== '1' || f.dataset.mapLevel !== '4') return false;
  const key = new URLSearchParams(f.dataset.mapValues), now = new URLSearchParams(location.search);
  if (now.get('level') !== '4') return false;
  for (const [k, v] of now) { if (key.get(k) !== v) return false; }
  return !document.querySelector('[data-dash-is-loading="true"]'); }"""


@pytest.fixture(scope="module")
def map_store(database):
    """The map tests' store, its households placed: each village of a tambon a little
    east of the last (the importer's synthetic households have no coordinates), but
    village 5 of TH500101 left unlocated."""
    with factory.map_store() as url:
        with owner() as conn:
            conn.execute(text("""
                UPDATE household h
                SET location = ST_Translate(a.label_point, 0.012 * (h.village_no - 3), 0)
                FROM area a
                WHERE a.pcode = h.tambon_pcode
                  AND NOT (h.tambon_pcode = :t AND h.village_no = :v)"""),
                {"t": TAMBON, "v": UNLOCATED})
        yield url


@pytest.fixture
def page(province_context):
    pg = watched(province_context.new_page(), csp=True)
    yield pg
    pg.close()


def _expected_villages() -> tuple[list[str], list[str]]:
    """(every village of the tambon with households, those with a located one), from
    the household rows directly."""
    with owner() as conn:
        rows = conn.execute(text("""
            SELECT village_no, count(location) AS located FROM household
            WHERE tambon_pcode = :t GROUP BY village_no ORDER BY village_no"""),
            {"t": TAMBON}).all()
    every = [f"{TAMBON}{r.village_no:02d}" for r in rows]
    return every, [f"{TAMBON}{r.village_no:02d}" for r in rows if r.located]


def test_a_tambons_villages_are_drawn_coloured_by_their_class(page, live_server):
    page.goto(f"{live_server}/map?level=3&area=TH5001&sel={TAMBON}")
    link = page.locator("#map-villages-link")
    link.click()
    page.wait_for_function(PAINTED_VILLAGES, timeout=30_000)
    every, located = _expected_villages()
    assert len(located) == len(every) - 1 >= 3
    drawn = page.evaluate(f"() => window.chipaoMaps['{MAP}'].villages()")
    values = page.evaluate(f"() => window.chipaoMaps['{MAP}'].villageValues()")
    assert [v["vid"] for v in values] == every  # the page's values: every village
    # the tiles hold the located villages, each with the class the page computed
    assert [d["vid"] for d in drawn] == located
    page_class = {v["vid"]: v["c"] for v in values}
    assert {d["vid"]: d["c"] for d in drawn} == {v: page_class[v] for v in located}
    assert all(isinstance(d["c"], int) and d["c"] >= 0 for d in drawn)
    assert len({d["c"] for d in drawn}) >= 2  # coloured by their figures, not all alike
    # the legend's swatches are the classes' colours
    swatches = page.locator("#map-legend .legend-swatch:not(.legend-insufficient)"
                            ":not(.legend-nodata)").count()
    assert max(d["c"] for d in drawn) < swatches
    # the ranking lists every village, the unlocated one too
    rows = page.locator("#map-ranking .ag-center-cols-container .ag-row")
    assert sorted(rows.evaluate_all("els => els.map(e => e.getAttribute('row-id'))")) == every
    assert "หมู่ที่ 1" in page.inner_text("#map-ranking")
    assert "1 หมู่บ้าน" in page.inner_text("#map-note")  # not drawn: said so
    assert page.inner_text("#map-breadcrumb").strip().endswith(
        page.inner_text("#map-breadcrumb .map-crumb-current").strip())
    assert page.errors == []
