"""The trend over every survey round (queries/trend.py rows in): a line chart and its
table — the table is the chart's text alternative and what the downloads hold
(`export_rows` gives the same cells as numbers). Used by the overview and the map's
area profile panel. No SQL."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc, html

from components.formatting import DASH, fmt_int, fmt_pct, round_label
from components.i18n import Lang, t
from components.map_view import after_first_paint
from components.theme import CATEGORICAL, GRAPH_CONFIG, TOOLBAR_PX, base_layout, chart_title

COUNTS = ("surveyed", "people", "poor", "poor_people", "target_poor")
RATES = ("poor_share", "H", "A")


def word(key: str, lang: Lang) -> str:
    """A trend word (`trend.*` in the catalogues) by its short key: the table's columns
    are named by their key in COUNTS/RATES, as the overview's and map's exports are."""
    return t(f"trend.{key}", lang)


def columns(lang: Lang, k_label: str) -> list[tuple[str, str]]:
    """(key, header) of the table and of its downloads, in order."""
    heads = {"H": f"{t('trend.H', lang)} (k = {k_label})"}
    return [("round", t("trend.round", lang))] + [
        (key, heads.get(key, word(key, lang)))
        for key in ("surveyed", "people", "poor", "poor_share", "poor_people",
                    "target_poor", "H", "A", "M0")]


def _cell(key: str, row: dict, lang: Lang) -> str:
    if key == "round":
        return round_label(row["year"], lang)
    value = row.get(key)
    if key in COUNTS:
        return fmt_int(value)
    if key in RATES:
        return fmt_pct(value)
    return DASH if value is None else f"{value:.3f}"


def export_rows(rows: list[dict], lang: Lang) -> list[dict]:
    """The table's cells as numbers (percentages with one decimal, M0 with three, as
    the table shows them); None where the table shows "–"."""
    out = []
    for r in rows:
        cells: dict = {"round": round_label(r["year"], lang)}
        for key in COUNTS:
            cells[key] = r.get(key)
        for key in RATES:
            cells[key] = None if r.get(key) is None else round(100 * r[key], 1)
        cells["M0"] = None if r.get("M0") is None else round(r["M0"], 3)
        out.append(cells)
    return out


def export_columns(lang: Lang, k_label: str) -> list[tuple[str, str]]:
    """columns() with the unit of the percentage columns in the header."""
    return [(key, f"{head} (%)" if key in RATES else head)
            for key, head in columns(lang, k_label)]


def table(rows: list[dict], lang: Lang, k_label: str, table_id: str) -> html.Table:
    """Rounds down, figures across (a committee reads a round's line)."""
    cols = columns(lang, k_label)
    return html.Div(html.Table([
        html.Caption(t("trend.title", lang), className="visually-hidden"),
        html.Thead(html.Tr([html.Th(head, scope="col", className="text-end" if i else "")
                            for i, (_key, head) in enumerate(cols)])),
        html.Tbody([html.Tr([html.Th(_cell("round", r, lang), scope="row")]
                            + [html.Td(_cell(key, r, lang), className="text-end")
                               for key, _head in cols[1:]])
                    for r in rows]),
    ], className="table table-sm table-compact trend-table mb-1", id=table_id),
        # it scrolls sideways on a narrow screen: reachable by keyboard, and named
        className="table-responsive", tabIndex="0", role="region",
        **{"aria-label": t("trend.title", lang)})


def figure(rows: list[dict], lang: Lang, title: str, height: int = 300) -> go.Figure:
    """Share of households poor (TPMAP) and H, in % by round; counts in the hover."""
    years = [round_label(r["year"], lang) for r in rows]
    fig = go.Figure()
    for key, color, symbol in (("poor_share", CATEGORICAL[0], "circle"),
                               ("H", CATEGORICAL[1], "square")):
        values = [None if r.get(key) is None else 100 * r[key] for r in rows]
        fig.add_scatter(x=years, y=values, mode="lines+markers+text", name=word(key, lang),
                        line={"color": color, "width": 3}, marker={"symbol": symbol, "size": 9},
                        text=[fmt_pct(r.get(key)) for r in rows], textposition="top center",
                        customdata=[fmt_int(r.get("poor")) for r in rows],
                        hovertemplate="%{x}: %{y:.1f}% (%{customdata})<extra>%{fullData.name}</extra>")
    top = max([100 * r[k] for r in rows for k in ("poor_share", "H") if r.get(k) is not None],
              default=0)
    base_layout(fig, height=height)
    fig.update_layout(title=chart_title(title), margin={"t": TOOLBAR_PX + 40},
                      # room above the highest point for its label
                      yaxis={"title": "%", "range": [0, max(top * 1.25, 1)],
                             "gridcolor": "#e9ecef"},
                      xaxis={"type": "category"},
                      legend={"orientation": "h", "y": -0.18})
    return fig


def block(rows: list[dict], lang: Lang, k_label: str, prefix: str, title: str,
          height: int = 300, download_query: str | None = None,
          after_map: str | None = None) -> html.Div:
    """Chart (when there are two rounds or more), note and table, with ids
    `<prefix>-trend-…`; with `download_query`, links to the trend's downloads
    (/export/trend.<fmt><query>, pages/overview_exports.py); with `after_map` (a map
    id), the chart is mounted once that map has painted (map_view.after_first_paint)."""
    children: list = [html.H2(title, className="h6 mt-2", id=f"{prefix}-trend-title")]
    if download_query is not None:
        children.append(html.Div(
            [html.A(fmt.upper(), href=f"/export/trend.{fmt}{download_query}", download="",
                    id=f"{prefix}-trend-{fmt}", className="btn btn-sm btn-outline-secondary")
             for fmt in ("csv", "xlsx", "png", "svg")],
            className="meeting-toolbar d-flex flex-wrap gap-1 mb-1"))
    if len(rows) >= 2:
        chart = dcc.Graph(id=f"{prefix}-trend-chart", figure=figure(rows, lang, title, height),
                          config=GRAPH_CONFIG, style={"height": f"{height}px"},
                          className="trend-chart")
        children.append(chart if after_map is None
                        else after_first_paint(after_map, chart, height))
    else:
        children.append(html.Div(t("trend.one_round", lang), className="figure-note"))
    children += [table(rows, lang, k_label, f"{prefix}-trend-table"),
                 html.Div(t("trend.note", lang).replace("{k}", k_label), className="figure-note")]
    return html.Div(children, id=f"{prefix}-trend", className="trend-block")
