"""Map classes and legends shared by every map (the map itself is components/map_view.py).

Colours are by class: each area gets the class index of its figure (−1 = too few
households for a stable figure, shown grey and named in the legend; −2 = a small count
hidden from public viewers), classes come from mapclassify, and the legend states each
class's limits in words.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

with warnings.catch_warnings():  # 'Numba not installed': the pure-Python path is fine here
    warnings.simplefilter("ignore")
    import mapclassify
import numpy as np
from dash import html

from components.theme import DIVERGING, NO_DATA, SEQUENTIAL
from components.theme import SUPPRESSED as SUPPRESSED_COLOR

CLASS_METHODS = ("quantiles", "fisher_jenks", "equal_interval")
INSUFFICIENT = -1
SUPPRESSED = -2  # class of an area whose small count is hidden from public viewers


@dataclass(frozen=True)
class Classes:
    """Class limits (upper bounds, ascending) and one colour per class."""

    bins: list[float]
    colors: list[str]
    lower: float


def classify(values: Sequence[float], method: str = "quantiles", k: int = 5,
             diverging: bool = False) -> Classes:
    """Class breaks with mapclassify; diverging maps get classes symmetric about 0."""
    data = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if data.size == 0:
        return Classes([0.0], [SEQUENTIAL[0]], 0.0)
    if diverging:
        m = float(np.max(np.abs(data))) or 1.0
        edges = np.linspace(-m, m, 8)[1:]
        return Classes([float(e) for e in edges], DIVERGING[1:8], -m)
    unique = np.unique(data)
    k = max(1, min(k, unique.size))
    if k == 1:
        bins = [float(unique[-1])]
    elif method == "fisher_jenks":
        # Pure-Python Fisher–Jenks is quadratic: run it on 300 evenly spaced quantiles
        # (deterministic, keeps min and max) so a switch stays well under 300 ms.
        sample = np.quantile(data, np.linspace(0, 1, 300)) if data.size > 300 else data
        bins = list(mapclassify.FisherJenks(sample, k=k).bins)
    elif method == "equal_interval":
        bins = list(mapclassify.EqualInterval(data, k=k).bins)
    else:
        bins = list(mapclassify.Quantiles(data, k=k).bins)
    bins = sorted({float(b) for b in bins})
    # spread the classes over the palette, skipping its palest colour
    picks = np.linspace(1, len(SEQUENTIAL) - 1, len(bins)).round().astype(int)
    colors = [SEQUENTIAL[i] for i in picks]
    return Classes(bins, colors, float(data.min()))


def class_index(values: Sequence[float | None], classes: Classes, insufficient: Sequence[bool]) -> list[int | None]:
    """Class number of each value (None: no data; −1: too few households). Vectorised:
    a national tambon map has 7,425 values."""
    data = np.array([np.nan if v is None else v for v in values], dtype=float)
    few = np.asarray(insufficient, dtype=bool)
    if len(data) != len(few):
        raise ValueError("values and insufficient differ in length")
    idx = np.minimum(np.searchsorted(np.asarray(classes.bins), data, side="left"),
                     len(classes.bins) - 1)
    return [INSUFFICIENT if f else (None if v != v else int(i))
            for v, f, i in zip(data.tolist(), few.tolist(), idx.tolist(), strict=True)]


def legend_rows(classes: Classes, fmt, insufficient_label: str | None = None,
                no_data_label: str | None = None,
                suppressed_label: str | None = None) -> list[dict]:
    """The legend as plain rows {"swatch", "color", "text"}: “a – b” per class colour,
    then grey for too-few, dark grey for suppressed small counts, white for no data.
    The map component draws the same rows for a view it shows ahead of the server
    (assets/40-chipao-map.js), so both legends come from here."""
    rows = []
    lower = classes.lower
    for bound, color in zip(classes.bins, classes.colors, strict=True):
        rows.append({"swatch": "", "color": color, "text": f"{fmt(lower)} – {fmt(bound)}"})
        lower = bound
    if insufficient_label:
        rows.append({"swatch": "legend-insufficient", "color": NO_DATA,
                     "text": insufficient_label})
    if suppressed_label:
        rows.append({"swatch": "legend-suppressed", "color": SUPPRESSED_COLOR,
                     "text": suppressed_label})
    if no_data_label:
        rows.append({"swatch": "legend-nodata", "color": None, "text": no_data_label})
    return rows


def legend_from_rows(title: str, rows: Sequence[dict], legend_id: str | None = None) -> html.Div:
    """The Dash legend of :func:`legend_rows`."""
    return html.Div([html.Div(title, className="legend-title"), *[
        html.Div([html.Span(className=f"legend-swatch {r['swatch']}".strip(),
                            style={"background": r["color"]} if r["color"] else None),
                  html.Span(r["text"])], className="legend-row") for r in rows]],
        className="map-legend", id=legend_id or "")


def legend(classes: Classes, fmt, title: str, insufficient_label: str | None = None,
           no_data_label: str | None = None, legend_id: str | None = None,
           suppressed_label: str | None = None) -> html.Div:
    """Class limits stated in words (see :func:`legend_rows`)."""
    return legend_from_rows(title, legend_rows(classes, fmt, insufficient_label,
                                               no_data_label, suppressed_label), legend_id)


def attribution(text: str) -> html.Div:
    return html.Div(text, className="map-attribution")
