"""A click on the map and a click on a ranking row take the same path: the clicked
P-code drills down one level (a province or district opens its children, a tambon is
selected), whichever of the two a person used."""

from __future__ import annotations

import pytest

from chipao.domain.mapstate import MapState, parse_state


@pytest.fixture(scope="module")
def map_page_module():
    import app  # noqa: F401 - pages register themselves with the app
    from pages import map as map_page

    return map_page


@pytest.mark.parametrize(("query", "pcode", "after"), [
    ("", "TH50", "?area=TH50"),
    ("?area=TH50", "TH5001", "?area=TH5001"),
    ("?area=TH5001", "TH500102", "?area=TH5001&sel=TH500102"),
])
def test_map_click_and_ranking_click_drill_alike(map_page_module, query, pcode, after):
    m = map_page_module
    state = parse_state(query)
    map_click = {"pcode": pcode}  # components/map_view.py: the picked area
    ag_grid_click = {"rowId": pcode, "colId": "name", "value": "…"}
    by_map = m._next_state(state, m.MAP_ID, m._clicked(m.MAP_ID, map_click, None))
    by_row = m._next_state(state, "map-ranking", m._clicked("map-ranking", None, ag_grid_click))
    assert by_map == by_row == parse_state(after)


def test_a_click_on_another_level_does_nothing(map_page_module):
    m = map_page_module
    state = parse_state("?area=TH50")  # districts shown: a tambon code is stale
    assert m._next_state(state, m.MAP_ID, "TH500101") is None
    assert m._next_state(MapState(), m.MAP_ID, None) is None


def test_a_click_at_the_village_level_does_nothing(map_page_module):
    """A village (map point or ranking row) opens nothing: no panel of its own yet."""
    m = map_page_module
    state = parse_state("?level=4&area=TH500101")
    assert m._next_state(state, "map-ranking", "TH50010103") is None
    assert m._next_state(state, m.MAP_ID, "TH500101") is None
