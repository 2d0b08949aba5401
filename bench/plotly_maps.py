"""The Plotly map code Chipao used before the map component (components/map_view.py),
kept only as the benchmark's baselines (bench/bench_map.py): the naive figure (GeoJSON
inline) and the old path (geometry by URL, values by dash.Patch). No page uses it.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
from dash import Patch

from chipao.settings import current
from components.choropleth import Classes
from components.theme import FONT, NO_DATA

BORDER_LIMIT = 2000  # layers with more areas are drawn without borders


def geometry_url(level: int, parent: str | None = None) -> str:
    return f"/geo/{level}/{parent}.geojson" if parent else f"/geo/{level}.geojson"


def stepped_colorscale(classes: Classes) -> list[list]:
    """A colourscale over z ∈ [−1, n−1]: one flat band per class, grey for −1."""
    colors = [NO_DATA, *classes.colors]
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
    tile = current().services.tile_url
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
        "locations": locations, "z": list(z), "zmin": -1, "zmax": len(classes.colors) - 1,
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
