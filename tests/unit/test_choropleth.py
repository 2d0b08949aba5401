"""The choropleth component without a browser: classes, class indexes, the stepped
colour scale (each class index lands in its own colour band), value patches that carry
no geometry, the fitted view and the legend's class limits."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from components import choropleth as cp
from components.map_controls import fmt_value, legend_formatter
from components.theme import DIVERGING, NO_DATA, SUPPRESSED

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
    # suppressed small counts (public viewers) are a class of their own, not "no data"
    z = cp.class_index([None, None, 0.3], classes, [False, True, False], [True, True, False])
    assert z == [cp.SUPPRESSED_CLASS, cp.SUPPRESSED_CLASS, 1]


def test_every_class_index_gets_its_own_colour():
    """Plotly maps z in [zmin, zmax] linearly onto the scale: each index must fall
    inside the band of its colour, −1 inside the grey band, −2 (suppressed) inside
    the darker grey band."""
    for n in range(1, 8):
        classes = cp.Classes(list(range(n)), [f"#00000{i}" for i in range(n)], 0)
        scale = cp.stepped_colorscale(classes)
        for z in range(cp.ZMIN, n):
            pos = (z - cp.ZMIN) / (n - 1 - cp.ZMIN)  # zmin = ZMIN, zmax = n − 1
            colours = {c for (a, c), (b, _) in zip(scale[::2], scale[1::2], strict=True)
                       if a - 1e-9 <= pos <= b + 1e-9}
            want = SUPPRESSED if z == -2 else NO_DATA if z == -1 else classes.colors[z]
            assert want in colours, (n, z, colours)


def test_values_patch_carries_no_geometry():
    classes = cp.classify(VALUES)
    patch = cp.values_patch(None, [0] * 10, ["x"] * 10, classes, hovertext=["1/10"] * 10)
    text = json.dumps(patch.to_plotly_json())
    assert "geojson" not in text and "locations" not in text and "1/10" in text
    figure = cp.choropleth_figure(3, "TH50", ["TH500101"], [0], ["x"], classes,
                                  highlight=["TH500101"])
    assert figure.data[0].geojson == "/geo/3/TH50.geojson"
    assert figure.data[1].locations == ("TH500101",)
    assert figure.layout.uirevision == "3:TH50"


def test_view_fits_the_bounds():
    thailand = (97.34, 5.61, 105.64, 20.46)
    view = cp.view_for(thailand, width=720, height=600)
    # the whole box is visible: its Mercator height fits 600 px at this zoom
    world = 512 * 2 ** view["zoom"]
    merc = (math.degrees(math.log(math.tan(math.pi / 4 + math.radians(20.46) / 2)))
            - math.degrees(math.log(math.tan(math.pi / 4 + math.radians(5.61) / 2))))
    assert merc / 360 * world <= 600
    assert (thailand[2] - thailand[0]) / 360 * world <= 720
    assert 4 < view["zoom"] < 5.5
    assert cp.view_for((100.0, 14.0, 100.1, 14.1))["zoom"] > view["zoom"]


def test_legend_states_class_limits():
    classes = cp.Classes([0.2, 0.5], ["#a", "#b"], 0.1)
    box = cp.legend(classes, legend_formatter("share", False), "Legend",
                    insufficient_label="too few", no_data_label="no data")
    text = str(box)
    assert "10.0% – 20.0%" in text and "20.0% – 50.0%" in text
    assert "too few" in text and "no data" in text


def test_number_formats():
    assert fmt_value("share", 0.1234) == "12.3%"
    assert fmt_value("share", 0.012, change=True) == "+1.2 pp"
    assert fmt_value("count", 1234.0) == "1,234"
    assert fmt_value("count", -5.0, change=True) == "-5"
    assert fmt_value("M0", 0.04567) == "0.046"
    assert fmt_value("H", None) == "–"
    assert legend_formatter("count", True)(12.0) == "+12"
    assert np.isclose(float(fmt_value("A", 0.5).rstrip("%")), 50.0)
