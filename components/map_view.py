"""The Chipao map: one builder for every map (docs/maps.md).

``map_view(map_id, ...)`` gives a frame with the MapLibre canvas (assets/40-chipao-map.js,
MapLibre GL JS vendored in assets/vendor/maplibre-gl), the legend inside the frame, a
tooltip, a live region for keyboard users and a print image. Pages drive it through
two stores and read one:

- ``spec_id(map_id)`` ``data`` = :func:`map_spec` — the geometry URL (fetched once per
  URL by the browser, cached), the P-codes in order, bounds and hover labels. Changes
  only when the level or subtree changes.
- ``values_id(map_id)`` ``data`` = :func:`map_values` — per area (aligned with the spec's
  P-codes) a class index, a short figure text and a rank; the class colours. Applied
  with feature-state: a switch sends only this.
- ``event_id(map_id)`` ``data`` ← ``{"kind", "pcode", "n"}`` when a user picks an area
  (click on the area or its name, Enter on the keyboard-focused area).

Plain data in, Dash tree out: no SQL here.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash
from dash import MATCH, ClientsideFunction, Input, Output, State, clientside_callback, dcc, html

from chipao.settings import current
from components.theme import NO_DATA, SUPPRESSED

WORKER_ASSET = "vendor/maplibre-gl/maplibre-gl-csp-worker.js"
# The worker must not run as a page script: app.py passes this to Dash's assets_ignore
# (the file is still served from /assets/ and loaded by MapLibre as a worker).
ASSETS_IGNORE = r"maplibre-gl-csp-worker\.js$"


def spec_id(map_id: str) -> dict:
    return {"chipao_map": "spec", "map": map_id}


def values_id(map_id: str) -> dict:
    return {"chipao_map": "values", "map": map_id}


def event_id(map_id: str) -> dict:
    return {"chipao_map": "event", "map": map_id}


def ahead_id(map_id: str) -> dict:
    return {"chipao_map": "ahead", "map": map_id}


def painted_id(map_id: str) -> dict:
    return {"chipao_map": "painted", "map": map_id}


def after_first_paint(map_id: str, content, height: int) -> html.Div:
    """`content` (a Dash tree: a Plotly chart, say) mounted only once the map `map_id`
    has painted its first frame (or could not start): a chart's scripts and drawing
    then do not compete with the map's first paint for the browser's main thread
    (docs/performance.md). `height` (px) is kept for it meanwhile, so nothing moves.
    One per map."""
    return html.Div([
        # as plain JSON: a store holds data, not components (the browser mounts it)
        dcc.Store(id={"chipao_map": "after_content", "map": map_id},
                  data=content.to_plotly_json()),
        html.Div(id={"chipao_map": "after", "map": map_id}, className="chipao-map-after",
                 style={"minHeight": f"{height}px"}),
    ])


def draw_ahead_on(map_id: str, controls: Sequence[str]) -> None:
    """When one of `controls` changes, the map draws the view it asks for at once if it
    has fetched it ahead (values["ahead"]); the page's own callback still runs and its
    answer replaces what was drawn. Writes nothing the page's callbacks write."""
    clientside_callback(
        ClientsideFunction("chipao_maplibre", "ahead"),
        Output(ahead_id(map_id), "data"),
        *[Input(c, "value") for c in controls],
        State(ahead_id(map_id), "id"),
        prevent_initial_call=True,
    )


def map_spec(geometry_url: str, pcodes: Sequence[str], *, level: int,
             bounds: Sequence[float] | None, measure_label: str, rank_label: str,
             lang: str, points: dict | None = None,
             names: Sequence[str] | None = None, villages: dict | None = None,
             vector: str | None = None, labels: str | None = None) -> dict:
    """What stays while values change. `bounds` (minx, miny, maxx, maxy) is where the
    map opens; `points` an optional GeoJSON FeatureCollection of points (properties
    ``color`` and ``label``); `names` override the geometry's names in the hover.
    `vector` (a tile URL template) draws the areas from vector tiles of the same
    geometry, and `labels` (URL) gives their names and label points
    (geodata.serve.tile_sources gives both); `geometry_url` still names the view."""
    spec = {"geometry": geometry_url, "ids": list(pcodes), "level": level,
            "bounds": [round(float(b), 5) for b in bounds] if bounds else None,
            "measure": measure_label, "rank": rank_label, "lang": lang,
            "tiles": current().services.tile_url or None}
    if points is not None:
        spec["points"] = points
    if names is not None:
        spec["names"] = list(names)
    if villages is not None:
        spec["villages"] = villages
    if vector is not None:
        spec["vector"] = vector
    if labels is not None:
        spec["labels"] = labels
    return spec


def village_spec(vids: Sequence[str], names: Sequence[str]) -> dict:
    """The village layer's part of the spec: the villages' codes and hover names."""
    return {"ids": list(vids), "names": list(names)}


def village_values(tiles: str, classes: Sequence[int | None], texts: Sequence[str],
                   ranks: Sequence[int | None], ranked: int) -> dict:
    """The village layer's part of the values, aligned with :func:`village_spec`'s
    codes: the tile URL template (its figure and class breaks in the query) and, per
    village, its class (as the tiles carry it), figure text and rank for the hover."""
    return {"tiles": tiles, "c": list(classes), "t": list(texts), "r": list(ranks),
            "ranked": ranked}


def map_values(geometry_url: str, key: str, classes: Sequence[int | None],
               colors: Sequence[str], texts: Sequence[str],
               ranks: Sequence[int | None] | None = None, ranked: int | None = None,
               selected: str | None = None, label: str | None = None,
               rank_note: str | None = None, more: Sequence[str] | None = None,
               few_note: str | None = None, villages: dict | None = None,
               legend: dict | None = None, ahead: dict | None = None,
               drill: dict | None = None, on_demand: dict | None = None) -> dict:
    """One view's values, aligned with the spec's P-codes: class index per area (None:
    no data; −1: too few households; −2: suppressed small count), its figure as text and its rank among `ranked`.
    `key` names the view (the URL's query): the component reports it once painted;
    `label` names the figure in the hover (else the spec's measure label); `rank_note`
    says which way ranks run (shown after the rank); `more` one more hover line per
    area (e.g. the counts behind a share); `few_note` is added to the hover of every
    too-few area (class −1) by the browser, so it travels once, not once per area.
    `legend` ({"title", "rows", "note"}, rows of components.choropleth.legend_rows) lets
    the component draw this view's legend itself when it shows the view ahead of the
    server; `ahead` ({control id: {value: URL}}) names the views to fetch after a paint
    and the control value that shows each; `drill` ({"path", "params"}: the URL of an
    area's drill-down with its P-code as `area`) is fetched when a user points at an
    area; `on_demand` ({control id: {"url", "param"}}) names controls whose choices are
    too many to fetch ahead (a typed number): the view is fetched from `url` with
    `param` set to the value chosen, the moment it is chosen, and drawn if it comes before the
    page's answer (see docs/maps.md)."""
    # no text or no rank anywhere (a small store: every area too few) is an empty list,
    # not 7,425 empty items: the browser draws a missing one as "–"
    return {"geometry": geometry_url, "key": key, "c": list(classes), "colors": list(colors),
            "few_color": NO_DATA, "suppressed_color": SUPPRESSED,
            "t": list(texts) if any(texts) else [],
            "r": (list(ranks) if any(ranks) else []) if ranks is not None else None,
            "ranked": ranked,
            "sel": selected, "label": label, "rank_note": rank_note,
            "m": list(more) if more is not None else None, "few_note": few_note,
            **({"villages": villages} if villages is not None else {}),
            **({"legend": legend} if legend is not None else {}),
            **({"ahead": ahead} if ahead else {}),
            **({"drill": drill} if drill else {}),
            **({"on_demand": on_demand} if on_demand else {})}


def map_view(map_id: str, *, label: str, keys_help: str, height: int = 560,
             spec: dict | None = None, values: dict | None = None, legend=None,
             legend_id: str | None = None, print_src: str | None = None) -> html.Div:
    """The map frame. `label` is the map's accessible name; `keys_help` says how to use
    it from the keyboard (shown while the map has focus); `legend` sits inside the
    frame (an element id `legend_id` lets a page update it alone). `print_src` is a
    static image of the same map for print (else the component prints its own frame)."""
    help_id = f"{map_id}-keys"
    return html.Div([
        dcc.Store(id=spec_id(map_id), data=spec),
        dcc.Store(id=values_id(map_id), data=values),
        dcc.Store(id=event_id(map_id)),
        dcc.Store(id={"chipao_map": "status", "map": map_id}),
        dcc.Store(id={"chipao_map": "mount", "map": map_id}, data=1),
        dcc.Store(id=ahead_id(map_id)),
        dcc.Store(id=painted_id(map_id)),  # ← true at the first frame (after_first_paint)
        html.Div(id=map_id, className="chipao-map-canvas", style={"height": f"{height}px"}),
        html.Div(className="chipao-map-labels", **{"aria-hidden": "true"}),
        html.Div(className="chipao-map-tooltip", hidden=True, role="tooltip"),
        html.Div(legend, id=legend_id or f"{map_id}-legend", className="chipao-map-legend"),
        # the legend of a view drawn ahead of the server's answer (filled by the script)
        html.Div(className="chipao-map-legend chipao-map-legend-ahead", hidden=True),
        html.Div(keys_help, id=help_id, className="chipao-map-keys"),
        html.Div(className="chipao-map-live visually-hidden", **{"aria-live": "polite"}),
        # loaded by the script once the map has painted (assets/40-chipao-map.js)
        html.Img(className="chipao-map-print", alt=label,
                 **({"data-static": "1", "data-print-src": print_src} if print_src else {})),
    ], className="chipao-map", **{"data-worker": dash.get_asset_url(WORKER_ASSET),
                                  "data-label": label, "data-describedby": help_id})


clientside_callback(
    ClientsideFunction("chipao_maplibre", "render"),
    Output({"chipao_map": "status", "map": MATCH}, "data"),
    Input({"chipao_map": "spec", "map": MATCH}, "data"),
    Input({"chipao_map": "values", "map": MATCH}, "data"),
    # Dash makes no initial call for inputs that only other callbacks write: this store,
    # written by none, draws the map when the page mounts
    Input({"chipao_map": "mount", "map": MATCH}, "data"),
    State({"chipao_map": "spec", "map": MATCH}, "id"),
)

clientside_callback(
    ClientsideFunction("chipao_maplibre", "afterPaint"),
    Output({"chipao_map": "after", "map": MATCH}, "children"),
    Input({"chipao_map": "after_content", "map": MATCH}, "data"),
    Input({"chipao_map": "painted", "map": MATCH}, "data"),
)
