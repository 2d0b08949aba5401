"""/ — national overview: households surveyed, poor households by dimension, change
since the previous round, top provinces. Figures: queries/overview.py."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from chipao.web.session import current_scope, read_scoped
from components.cards import kpi_card, message, source_line
from components.i18n import current_lang, fmt_int, fmt_pct, fmt_signed, pick, round_label, t
from components.theme import CURRENT, GRAPH_CONFIG, PREVIOUS, base_layout
from queries import overview
from queries.rounds import list_rounds, previous_round, resolve_round
from queries.suppression import threshold

dash.register_page(__name__, path="/", name="overview", nav_key="nav.overview", order=0)


def _count(n: int | None) -> str:
    return f"<{threshold()}" if n is None else fmt_int(n)


def _change_detail(now: int | None, before: int | None, prev_year: int | None, lang: str) -> str:
    if prev_year is None:
        return t("overview.no_previous", lang)
    if now is None or before is None:
        return ""
    rel = f" ({(now - before) / before:+.1%})" if before else ""
    return f"{fmt_signed(now - before)}{rel} {t('overview.change', lang)} {round_label(prev_year, lang)}"


def _dimension_figure(dims_now: list[dict], dims_before: list[dict] | None, year: int,
                      prev_year: int | None, lang: str) -> go.Figure:
    fig = go.Figure()
    names = [pick(d["name_th"], d["name_en"], lang) for d in dims_now]
    if dims_before is not None and prev_year is not None:
        fig.add_bar(x=names, y=[d["deprived"] for d in dims_before],
                    name=round_label(prev_year, lang), marker_color=PREVIOUS,
                    customdata=[fmt_pct(d["share"]) for d in dims_before],
                    hovertemplate="%{x}: %{y:,} (%{customdata})<extra>%{fullData.name}</extra>")
    fig.add_bar(x=names, y=[d["deprived"] for d in dims_now], name=round_label(year, lang),
                marker_color=CURRENT, customdata=[fmt_pct(d["share"]) for d in dims_now],
                text=[fmt_pct(d["share"]) for d in dims_now], textposition="outside",
                hovertemplate="%{x}: %{y:,} (%{customdata})<extra>%{fullData.name}</extra>")
    base_layout(fig, height=380)
    fig.update_layout(
        barmode="group",
        title={"text": f"{t('overview.by_dimension', lang)} — {round_label(year, lang)}",
               "font": {"size": 16}},
        yaxis={"title": t("overview.households", lang), "tickformat": ",", "gridcolor": "#e9ecef"},
    )
    return fig


def _province_table(rows: list[dict], lang: str) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in
                               ("col.rank", "col.province", "col.poor", "col.share", "col.change")]))
    body = html.Tbody([
        html.Tr([
            html.Td(r["rank"]),
            html.Td(dcc.Link(pick(r["name_th"], r["name_en"], lang), href=f"/map?area={r['pcode']}")),
            html.Td(_count(r["poor"]), className="text-end"),
            html.Td(fmt_pct(r["share"]), className="text-end"),
            html.Td(fmt_signed(r["change"]) if r["change"] is not None else "–",
                    className="text-end " + ("change-up" if (r["change"] or 0) > 0 else "change-down")),
        ])
        for r in rows
    ])
    return dbc.Table([head, body], striped=True, hover=True, size="sm",
                     className="table-compact", id="overview-top-provinces")


def layout(round: str | None = None, **_query) -> html.Div:  # noqa: A002 (URL parameter name)
    lang = current_lang()
    scope = current_scope()
    with read_scoped(scope) as conn:  # aggregates only: a replica may serve them
        rounds = list_rounds(conn)
        try:
            current = resolve_round(rounds, round)
        except ValueError as err:
            return message(f"{t('error.bad_param', lang)}: {err}", "danger")
        if current is None:
            return message(t("no_data", lang))
        prev = previous_round(rounds, current)
        now = overview.national_counts(conn, scope, current.round_id)
        before = overview.national_counts(conn, scope, prev.round_id) if prev else {}
        dims_now = overview.dimension_counts(conn, scope, current.round_id)
        dims_before = overview.dimension_counts(conn, scope, prev.round_id) if prev else None
        top = overview.top_provinces(conn, scope, current.round_id,
                                     prev.round_id if prev else None)
    if not now.get("surveyed"):
        return message(t("no_data", lang))

    prev_year = prev.year_be if prev else None
    surveyed, poor = now.get("surveyed"), now.get("poor")
    source = pick(current.source_th, current.source_en, lang)
    cards = dbc.Row(
        [
            dbc.Col(kpi_card(t("overview.surveyed", lang), _count(surveyed),
                             _change_detail(surveyed, before.get("surveyed"), prev_year, lang),
                             card_id="kpi-surveyed"), md=6, xl=3),
            dbc.Col(kpi_card(t("overview.poor", lang), _count(poor),
                             f"{fmt_pct(poor / surveyed if poor and surveyed else None)} · "
                             + _change_detail(poor, before.get("poor"), prev_year, lang),
                             t("overview.poor_note", lang), card_id="kpi-poor"), md=6, xl=3),
            dbc.Col(kpi_card(t("overview.target_poor", lang), _count(now.get("target_poor")),
                             _change_detail(now.get("target_poor"), before.get("target_poor"),
                                            prev_year, lang),
                             card_id="kpi-target-poor"), md=6, xl=3),
            dbc.Col(kpi_card(t("overview.left_poverty", lang),
                             _count(now.get("left_poverty")) if prev else "–",
                             round_label(prev_year, lang) + " → " + round_label(current.year_be, lang)
                             if prev else t("overview.no_previous", lang),
                             t("overview.left_poverty_note", lang), card_id="kpi-left-poverty"),
                    md=6, xl=3),
        ],
        className="g-3 mb-3",
    )
    return html.Div(
        [
            html.H1(t("overview.title", lang), className="page-title"),
            html.Div(f"{round_label(current.year_be, lang)} · {source}", className="page-subtitle"),
            cards,
            dbc.Row(
                [
                    dbc.Col([
                        dcc.Graph(id="overview-dimensions",
                                  figure=_dimension_figure(dims_now, dims_before, current.year_be,
                                                           prev_year, lang),
                                  config=GRAPH_CONFIG),
                        html.Div(t("overview.poor_note", lang), className="figure-note"),
                        source_line(t("source", lang), source),
                    ], lg=7),
                    dbc.Col([
                        html.H2(f"{t('overview.top_provinces', lang)} — {round_label(current.year_be, lang)}",
                                className="h6 mt-2"),
                        _province_table(top, lang),
                        source_line(t("source", lang), source),
                    ], lg=5),
                ],
                className="g-3",
            ),
        ]
    )
