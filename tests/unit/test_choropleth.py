"""The map classes and the map component's payloads without a browser: classes, class
indexes, values that carry no geometry, and the legend's class limits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from components import choropleth as cp
from components.formatting import fmt_value, legend_formatter
from components.theme import DIVERGING, NO_DATA

VALUES = [0.05, 0.10, 0.12, 0.20, 0.33, 0.41, 0.50, 0.52, 0.77, 0.90]


@pytest.mark.parametrize("method", cp.CLASS_METHODS)
def test_classes_cover_the_values(method):
    classes = cp.classify(VALUES, method, k=5)
    assert classes.bins == sorted(classes.bins)
    assert classes.bins[-1] == pytest.approx(max(VALUES))
    assert classes.lower == min(VALUES)
    assert len(classes.colors) == len(classes.bins) <= 5


def test_diverging_classes_are_symmetric():
    classes = cp.classify([-0.3, -0.1, 0.05, 0.2], diverging=True)
    assert classes.lower == pytest.approx(-0.3)
    assert classes.bins[-1] == pytest.approx(0.3)
    assert classes.colors == DIVERGING[1:8]


def test_class_index_marks_few_households_and_missing_values():
    classes = cp.Classes([0.2, 0.5, 1.0], ["a", "b", "c"], 0.0)
    z = cp.class_index([0.1, 0.2, 0.3, 0.9, None, 0.4, float("nan")], classes,
                       [False, False, False, False, False, True, False])
    assert z == [0, 0, 1, 2, None, cp.INSUFFICIENT, None]
    with pytest.raises(ValueError):
        cp.class_index([0.1], classes, [])


def test_map_values_are_compact_and_carry_no_geometry():
    """What a switch sends (components/map_view.py): class indexes, short texts and
    ranks aligned with the spec's P-codes, the class colours; never coordinates."""
    from components import map_view as mv
    from components.theme import SUPPRESSED

    classes = cp.classify(VALUES)
    z = cp.class_index(VALUES, classes, [False] * len(VALUES))
    values = mv.map_values("/geo/3.geojson?v=1", "?level=3", z, classes.colors,
                           [f"{v:.1%}" for v in VALUES], list(range(1, 11)), 10, "TH10")
    text = json.dumps(values)
    assert "coordinates" not in text and "Feature" not in text
    assert values["c"] == z and values["colors"] == classes.colors and values["sel"] == "TH10"
    assert values["few_color"] == NO_DATA and values["suppressed_color"] == SUPPRESSED
    spec = mv.map_spec("/geo/3.geojson?v=1", [f"TH{i}" for i in range(10)], level=3,
                       bounds=(97.123456789, 5.6, 105.6, 20.4), measure_label="m",
                       rank_label="r", lang="th")
    assert spec["bounds"][0] == 97.12346 and len(spec["ids"]) == 10


def test_legend_states_class_limits():
    classes = cp.Classes([0.2, 0.5], ["#a", "#b"], 0.1)
    box = cp.legend(classes, legend_formatter("share", False), "Legend",
                    insufficient_label="too few", no_data_label="no data",
                    suppressed_label="hidden")
    text = str(box)
    assert "10.0% – 20.0%" in text and "20.0% – 50.0%" in text
    assert "too few" in text and "no data" in text and "hidden" in text


def test_number_formats():
    assert fmt_value("share", 0.1234) == "12.3%"
    assert fmt_value("share", 0.012, change=True) == "+1.2 pp"
    assert fmt_value("count", 1234.0) == "1,234"
    assert fmt_value("count", -5.0, change=True) == "-5"
    assert fmt_value("M0", 0.04567) == "0.046"
    assert fmt_value("H", None) == "–"
    assert legend_formatter("count", True)(12.0) == "+12"
    assert np.isclose(float(fmt_value("A", 0.5).rstrip("%")), 50.0)
