"""A choropleth map whose geometry travels once, and whose values are patched.

The geometry is a URL (``/geo/<level>[/<parent>].geojson``, served gzipped with
cache headers by geodata/serve.py): Plotly fetches it in the browser, so figure
updates never carry geometry. Colours are by class: ``z`` holds the class index of
each area (−1 = too few households for a stable figure, shown grey and named in the
legend; −2 = a small count suppressed for public viewers, drawn darker grey, shown as
"<5" and named in the legend; None = no data, not coloured), the colourscale is stepped, and hover text carries the real figure. One
trace, numeric z: fast to repaint (engineering_notes.md); an optional second,
outline-only trace marks selected areas. Hover templates may name areas with
%{properties.name_th} / %{properties.name_en} from the GeoJSON, so names never travel
with the values.
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

from chipao.settings import settings
from components.theme import DIVERGING, FONT, NO_DATA, SEQUENTIAL, SUPPRESSED

CLASS_METHODS = ("quantiles", "fisher_jenks", "equal_interval")
INSUFFICIENT = -1
SUPPRESSED_CLASS = -2
ZMIN = SUPPRESSED_CLASS  # the lowest z of every stepped colourscale
BORDER_LIMIT = 2000  # layers with more areas are drawn without borders


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


def class_index(values: Sequence[float | None], classes: Classes, insufficient: Sequence[bool],
                suppressed: Sequence[bool] | None = None) -> list[int | None]:
    """Class number of each value (None: no data; −1: too few households; −2: a small
    count suppressed for public viewers). Vectorised: a national tambon map has 7,425
    values."""
    data = np.array([np.nan if v is None else v for v in values], dtype=float)
    few = np.asarray(insufficient, dtype=bool)
    hidden = np.zeros(len(data), dtype=bool) if suppressed is None else \
        np.asarray(suppressed, dtype=bool)
    if len(data) != len(few) or len(data) != len(hidden):
        raise ValueError("values, insufficient and suppressed differ in length")
    idx = np.minimum(np.searchsorted(np.asarray(classes.bins), data, side="left"),
                     len(classes.bins) - 1)
    return [SUPPRESSED_CLASS if h else INSUFFICIENT if f else (None if v != v else int(i))
            for v, f, h, i in zip(data.tolist(), few.tolist(), hidden.tolist(), idx.tolist(),
                                  strict=True)]


def stepped_colorscale(classes: Classes) -> list[list]:
    """A colourscale over z ∈ [−2, n−1] (zmin = ZMIN): one flat band per class, grey
    for −1 (too few households), darker grey for −2 (suppressed)."""
    colors = [SUPPRESSED, NO_DATA, *classes.colors]
    n = len(colors)
    scale: list[list] = []
    for i, c in enumerate(colors):
        scale.append([i / n, c])
        scale.append([(i + 1) / n, c])
    return scale


def _mercator_deg(lat: float) -> float:
    lat = max(-85.0, min(85.0, lat))
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def view_for(bounds: tuple[float, float, float, float] | None, width: int = 720,
             height: int = 560) -> dict:
    """Centre and zoom that fit a lon/lat box in a map of about width × height px
    (MapLibre: the world is 512·2^zoom px wide, latitudes in Mercator)."""
    if not bounds:
        return {"center": {"lon": 100.9, "lat": 13.0}, "zoom": 4.6}
    minx, miny, maxx, maxy = bounds
    dx = max(maxx - minx, 0.01)
    dy = max(_mercator_deg(maxy) - _mercator_deg(miny), 0.01)
    zoom = min(math.log2(width * 360 / (dx * 512)), math.log2(height * 360 / (dy * 512)))
    zoom = max(3.0, min(13.0, zoom - 0.2))  # a little margin
    centre_y = math.degrees(math.atan(math.sinh(math.radians(
        (_mercator_deg(miny) + _mercator_deg(maxy)) / 2))))
    return {"center": {"lon": (minx + maxx) / 2, "lat": centre_y}, "zoom": zoom}


def map_layout(bounds: tuple[float, float, float, float] | None, height: int = 560) -> dict:
    tile = settings().tile_url
    layers = [{"below": "traces", "sourcetype": "raster", "source": [tile]}] if tile else []
    return {
        "map": {"style": "white-bg", "layers": layers, **view_for(bounds, height=height)},
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
                      height: int = 560, *, geojson: str | dict | None = None,
                      names: list[str] | None = None, hovertext: list[str] | None = None,
                      hovertemplate: str | None = None,
                      highlight: list[str] | None = None) -> go.Figure:
    """A fresh figure (only when the geometry changes: another level or parent).

    `geojson` overrides the geometry (a versioned URL from geodata.serve, or — for the
    naive benchmark only — the collection itself). With `names`, the area names travel
    once as customdata so value patches carry only short ASCII strings; `hovertemplate`
    may then use %{customdata}, %{text} and %{hovertext}. `highlight` adds a second,
    outline-only trace for selected areas (see highlight_patch)."""
    geometry = geojson if geojson is not None else geometry_url(level, parent)
    trace = {
        "type": "choroplethmap", "geojson": geometry, "featureidkey": "id",
        "locations": locations, "z": list(z), "zmin": ZMIN, "zmax": len(classes.colors) - 1,
        "colorscale": stepped_colorscale(classes), "showscale": False, "text": hover,
        "hovertemplate": hovertemplate or "%{text}<extra></extra>",
        # Borders of thousands of small areas are a grey blur at national zoom and
        # cost as much to draw as the fills: drop them on large layers.
        "marker": {"line": {"width": 0.5 if len(locations) <= BORDER_LIMIT else 0,
                            "color": "#ffffff"}, "opacity": 0.9},
    }
    if hovertext is not None:
        trace["hovertext"] = hovertext
    if names is not None:
        trace["customdata"] = names
    data = [trace]
    if highlight is not None:
        data.append({"type": "choroplethmap", "geojson": geometry, "featureidkey": "id",
                     "locations": highlight, "z": [0] * len(highlight),
                     "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                     "showscale": False, "hoverinfo": "skip",
                     "marker": {"line": {"width": 3, "color": "#212529"}}})
    layout = map_layout(bounds, height)
    layout["uirevision"] = f"{level}:{parent}"  # keep pan/zoom while values change
    # Built from plain dicts without validation: validating 7,425 values took longer
    # than computing them (the keys above are fixed and valid).
    return go.Figure(data=data, layout=layout, _validate=False)


def values_patch(locations: list[str] | None, z: list[int | None], hover: list[str],
                 classes: Classes, *, hovertext: list[str] | None = None,
                 hovertemplate: str | None = None) -> Patch:
    """Only the values: what a dimension, measure, k or round switch sends. Pass
    locations=None when they are unchanged (same geometry, same order) to save bytes."""
    patch = Patch()
    trace = patch["data"][0]
    if locations is not None:
        trace["locations"] = locations
    trace["z"] = z
    trace["text"] = hover
    if hovertext is not None:
        trace["hovertext"] = hovertext
    if hovertemplate is not None:
        trace["hovertemplate"] = hovertemplate
    trace["zmax"] = len(classes.colors) - 1
    trace["colorscale"] = stepped_colorscale(classes)
    return patch


def highlight_patch(patch: Patch, pcodes: list[str]) -> Patch:
    """Outline other areas (figure built with highlight=[...])."""
    patch["data"][1]["locations"] = pcodes
    patch["data"][1]["z"] = [0] * len(pcodes)
    return patch


def legend(classes: Classes, fmt, title: str, insufficient_label: str | None = None,
           no_data_label: str | None = None, legend_id: str | None = None,
           suppressed_label: str | None = None) -> html.Div:
    """Class limits stated in words: “a – b” per colour, plus grey for too few
    households, darker grey for suppressed small counts, white for no data."""
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
    if suppressed_label:
        rows.append(html.Div([html.Span(className="legend-swatch legend-suppressed",
                                        style={"background": SUPPRESSED}),
                              html.Span(suppressed_label)], className="legend-row",
                             id=f"{legend_id or 'legend'}-suppressed"))
    if no_data_label:
        rows.append(html.Div([html.Span(className="legend-swatch legend-nodata"),
                              html.Span(no_data_label)], className="legend-row"))
    return html.Div([html.Div(title, className="legend-title"), *rows], className="map-legend",
                    id=legend_id or "")


def map_graph(graph_id: str, figure: go.Figure | None = None, height: int = 560,
              loading: bool = True) -> dcc.Loading | dcc.Graph:
    """The map's dcc.Graph, by default inside a dcc.Loading spinner (loading=False: a
    bare graph, for pages whose updates are quick value patches)."""
    graph = dcc.Graph(id=graph_id, figure=figure or go.Figure(layout=map_layout(None, height)),
                      config={"displaylogo": False, "scrollZoom": True, "responsive": True},
                      style={"height": f"{height}px"})
    if not loading:
        return graph
    return dcc.Loading(graph, type="circle", delay_show=400)


def attribution(text: str) -> html.Div:
    return html.Div(text, className="map-attribution")
