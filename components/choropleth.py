"""A choropleth map whose geometry travels once, and whose values are patched.

The geometry is a URL (``/geo/<level>[/<parent>].geojson``, served gzipped with
cache headers by geodata/serve.py): Plotly fetches it in the browser, so figure
updates never carry geometry. Colours are by class: ``z`` holds the class index of
each area (−1 = too few households for a stable figure, shown grey and named in the
legend), the colourscale is stepped, and hover text carries the real figure. One
trace, numeric z: fast to repaint (engineering_notes.md).
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
import plotly.graph_objects as go
from dash import Patch, dcc, html

from chipao.config import settings
from components.theme import DIVERGING, FONT, NO_DATA, SEQUENTIAL

CLASS_METHODS = ("quantiles", "fisher_jenks", "equal_interval")
INSUFFICIENT = -1


def geometry_url(level: int, parent: str | None = None) -> str:
    return f"/geo/{level}/{parent}.geojson" if parent else f"/geo/{level}.geojson"


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
    """Class number of each value (None: no data; −1: too few households)."""
    out: list[int | None] = []
    bins = np.asarray(classes.bins)
    for v, few in zip(values, insufficient, strict=True):
        if few:
            out.append(INSUFFICIENT)
        elif v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        else:
            out.append(int(min(np.searchsorted(bins, v, side="left"), len(bins) - 1)))
    return out


def stepped_colorscale(classes: Classes) -> list[list]:
    """A colourscale over z ∈ [−1, n−1]: one flat band per class, grey for −1."""
    colors = [NO_DATA, *classes.colors]
    n = len(colors)
    scale: list[list] = []
    for i, c in enumerate(colors):
        scale.append([i / n, c])
        scale.append([(i + 1) / n, c])
    return scale


def view_for(bounds: tuple[float, float, float, float] | None) -> dict:
    """Centre and zoom that fit a lon/lat box in a ~600 px map."""
    if not bounds:
        return {"center": {"lon": 100.9, "lat": 13.0}, "zoom": 4.4}
    minx, miny, maxx, maxy = bounds
    span = max(maxx - minx, (maxy - miny) * 1.3, 0.02)
    zoom = max(3.5, min(12.0, math.log2(360 / span) - 0.6))
    return {"center": {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2}, "zoom": zoom}


def map_layout(bounds: tuple[float, float, float, float] | None, height: int = 560) -> dict:
    tile = settings().tile_url
    layers = [{"below": "traces", "sourcetype": "raster", "source": [tile]}] if tile else []
    return {
        "map": {"style": "white-bg", "layers": layers, **view_for(bounds)},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "height": height,
        "font": {"family": FONT},
        "uirevision": None,
        "showlegend": False,
        "hoverlabel": {"font": {"family": FONT, "size": 14}},
    }


def choropleth_figure(level: int, parent: str | None, locations: list[str], z: list[int | None],
                      hover: list[str], classes: Classes,
                      bounds: tuple[float, float, float, float] | None = None,
                      height: int = 560) -> go.Figure:
    """A fresh figure (only when the geometry changes: another level or parent)."""
    fig = go.Figure(go.Choroplethmap(
        geojson=geometry_url(level, parent),
        featureidkey="id",
        locations=locations,
        z=[v if v is not None else None for v in z],
        zmin=-1, zmax=len(classes.colors) - 1,
        colorscale=stepped_colorscale(classes),
        showscale=False,
        text=hover,
        hovertemplate="%{text}<extra></extra>",
        marker={"line": {"width": 0.5, "color": "#ffffff"}, "opacity": 0.9},
    ))
    fig.update_layout(**map_layout(bounds, height))
    fig.layout.uirevision = f"{level}:{parent}"  # keep pan/zoom while values change
    return fig


def values_patch(locations: list[str], z: list[int | None], hover: list[str],
                 classes: Classes) -> Patch:
    """Only the values: what a dimension, measure, k or round switch sends."""
    patch = Patch()
    trace = patch["data"][0]
    trace["locations"] = locations
    trace["z"] = z
    trace["text"] = hover
    trace["zmax"] = len(classes.colors) - 1
    trace["colorscale"] = stepped_colorscale(classes)
    return patch


def legend(classes: Classes, fmt, title: str, insufficient_label: str | None = None,
           no_data_label: str | None = None, legend_id: str | None = None) -> html.Div:
    """Class limits stated in words: “a – b” per colour, plus grey for too-few/no data."""
    rows = []
    lower = classes.lower
    for bound, color in zip(classes.bins, classes.colors, strict=True):
        rows.append(html.Div([html.Span(className="legend-swatch", style={"background": color}),
                              html.Span(f"{fmt(lower)} – {fmt(bound)}")], className="legend-row"))
        lower = bound
    if insufficient_label:
        rows.append(html.Div([html.Span(className="legend-swatch legend-insufficient",
                                        style={"background": NO_DATA}),
                              html.Span(insufficient_label)], className="legend-row"))
    if no_data_label:
        rows.append(html.Div([html.Span(className="legend-swatch legend-nodata"),
                              html.Span(no_data_label)], className="legend-row"))
    return html.Div([html.Div(title, className="legend-title"), *rows], className="map-legend",
                    id=legend_id or "")


def map_graph(graph_id: str, figure: go.Figure | None = None, height: int = 560) -> dcc.Loading:
    return dcc.Loading(
        dcc.Graph(id=graph_id, figure=figure or go.Figure(layout=map_layout(None, height)),
                  config={"displaylogo": False, "scrollZoom": True, "responsive": True},
                  style={"height": f"{height}px"}),
        type="circle", delay_show=400,
    )


def attribution(text: str) -> html.Div:
    return html.Div(text, className="map-attribution")
