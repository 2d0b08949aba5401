"""The map's URL state: round trip, named bad parameters, checks against a store's areas."""

from __future__ import annotations

import pytest

from chipao.domain.mapstate import MapParamError, MapState, check_against, parse_state


# ── URL state (pure) ─────────────────────────────────────────────────────────
def test_state_round_trip():
    state = MapState(level=3, area="TH5001", sel="TH500102", subject="dim:health",
                     measure="M0", k=0.25, round=2566, classes="fisher_jenks", compare=2565)
    assert parse_state(state.query()) == state
    assert parse_state("?k=0.3333").k == 1 / 3
    assert parse_state("?k=1/3").k == 1 / 3
    assert parse_state("?area=TH50") == MapState(level=2, area="TH50")
    assert parse_state("?level=3") == MapState(level=3)
    # a tambon as the area: its district's tambons, the tambon selected
    assert parse_state("?area=TH500101") == MapState(level=3, area="TH5001", sel="TH500101")
    assert parse_state("?round=2566&compare=2566").compare is None
    assert MapState(level=1).drill("TH50") == MapState(level=2, area="TH50")
    assert MapState(level=3, area="TH5001").drill("TH500101").sel == "TH500101"
    assert MapState(level=3, area="TH5001", sel="TH500101").up_to("TH50") == \
        MapState(level=2, area="TH50")


def test_village_level_state():
    """level=4: the villages of a district or of a tambon (which stays the area)."""
    tambon = parse_state("?level=4&area=TH500101")
    assert tambon == MapState(level=4, area="TH500101") and tambon.geometry_key == "4:TH500101"
    assert parse_state(tambon.query()) == tambon
    assert parse_state("?level=4&area=TH5001") == MapState(level=4, area="TH5001")
    # the breadcrumb leads back to the tambons of the district
    assert tambon.up_to("TH5001") == MapState(level=3, area="TH5001")
    for query in ("?level=4", "?level=4&area=TH50", "?level=4&area=TH5001&sel=TH500101"):
        with pytest.raises(MapParamError):
            parse_state(query)


@pytest.mark.parametrize("query, fragment", [
    ("?k=0", "k='0'"), ("?k=1.5", "k='1.5'"), ("?k=abc", "k='abc'"), ("?k=nan", "k='nan'"),
    ("?measure=poverty", "measure='poverty'"), ("?subject=health", "subject='health'"),
    ("?area=XX50", "area='XX50'"), ("?level=4", "level='4'"), ("?level=1&area=TH50", "level=1"),
    ("?round=66", "round='66'"), ("?classes=jenks", "classes='jenks'"),
    ("?sel=TH500101", "sel=TH500101"), ("?measure=contribution", "contribution"),
])
def test_bad_parameters_are_named(query, fragment):
    with pytest.raises(MapParamError) as err:
        parse_state(query)
    assert fragment in str(err.value)
    assert all(th and en for th, en in err.value.problems)


def test_check_against_the_store():
    state = parse_state("?area=TH99&subject=ind:ZZ9&round=2400&compare=2565")
    with pytest.raises(MapParamError) as err:
        check_against(state, areas_found=[], dimensions=["health"], indicators=["H1"],
                      round_years=[2565, 2566])
    text_ = str(err.value)
    assert "area=TH99" in text_ and "ind:ZZ9" in text_ and "round=2400" in text_
    assert "compare" not in text_


