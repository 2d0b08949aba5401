"""Colours and figure defaults shared by every chart.

Palettes are colour-blind safe (Okabe–Ito for categories; ColorBrewer sequential
and diverging schemes for maps) and dark enough for 3:1 non-text contrast on white.
"""

from __future__ import annotations

import plotly.graph_objects as go

FONT = "Sarabun, 'Noto Sans Thai', Tahoma, sans-serif"
PRIMARY = "#1f4e79"  # navbar; white text on it: 8.9:1
CURRENT = "#0072B2"  # Okabe–Ito blue, 5.1:1 on white
PREVIOUS = "#767676"  # neutral grey, 4.5:1 on white
CATEGORICAL = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
# ColorBrewer YlOrRd (sequential) and PuOr (diverging): readable by colour-blind viewers.
SEQUENTIAL = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026"]
DIVERGING = ["#2d004b", "#542788", "#8073ac", "#b2abd2", "#f7f7f7",
             "#fdb863", "#e08214", "#b35806", "#7f3b08"]
NO_DATA = "#d9d9d9"
SUPPRESSED = "#969696"  # small counts hidden from public viewers: darker than NO_DATA


# The toolbar (modebar) sits in the top 30 px of a graph: titles start below it, so on a
# narrow screen, where a title spans the width, the buttons never cover it.
TOOLBAR_PX = 32


def chart_title(text: str, size: int = 16) -> dict:
    return {"text": text, "font": {"size": size}, "x": 0, "xref": "paper", "xanchor": "left",
            "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": TOOLBAR_PX},
            "automargin": True}


def base_layout(fig: go.Figure, height: int = 360) -> go.Figure:
    fig.update_layout(
        font={"family": FONT, "size": 14, "color": "#212529"},
        # hover labels do not inherit the layout's font (Plotly draws them in Arial,
        # which has no Thai glyph: boxes on a machine without Thai system fonts)
        hoverlabel={"font": {"family": FONT}},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=height,
        paper_bgcolor="white",
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
        separators=".,",
    )
    return fig


# The Plotly toolbar, in one place for every graph. Nothing that uploads: no "send to
# cloud"/"Share chart" (it offers a third-party service the figure, which on a
# household record is its house ID and GPS point) and no Chart Studio link. No
# box/lasso select (nothing here uses a selection), no zoom on charts: they save a
# picture. (Maps are MapLibre, components/map_view.py, with their own controls.)
_NO_UPLOAD = {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False,
              "showLink": False, "sendData": False}
GRAPH_CONFIG = {**_NO_UPLOAD, "responsive": True, "modeBarButtons": [["toImage"]]}
