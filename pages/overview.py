"""/ — the overview: households surveyed, poor households by dimension, change since
the previous round, top provinces — for the country, or (``?area=``) one province,
district or tambon with its top districts or tambons. A provincial, district or tambon
user opens at their own area (Scope.home_area); ``?area=TH`` is the country.
Figures: queries/overview.py."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, clientside_callback, dcc, html

from chipao.domain.pcodes import AREA_RE, pcode_level
from chipao.web.session import current_scope, read_scoped
from components.cards import kpi_card, message, source_line
from components.i18n import current_lang, fmt_int, fmt_pct, fmt_signed, pick, round_label, t
from components.theme import (
    CURRENT,
    GRAPH_CONFIG,
    PREVIOUS,
    TOOLBAR_PX,
    base_layout,
    chart_title,
)
from queries import overview
from queries.areas import ancestors
from queries.rounds import list_rounds, previous_round, resolve_round
from queries.suppression import threshold

dash.register_page(__name__, path="/", name="overview", nav_key="nav.overview", order=0)

OVERVIEW_CHART_HEIGHT = 400


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
    base_layout(fig, height=OVERVIEW_CHART_HEIGHT)
    fig.update_layout(
        barmode="group",
        title=chart_title(f"{t('overview.by_dimension', lang)} — {round_label(year, lang)}"),
        margin={"t": TOOLBAR_PX + 40},
        yaxis={"title": t("overview.households", lang), "tickformat": ",", "gridcolor": "#e9ecef"},
    )
    return fig


# the table's area column and heading, by the level of the areas it ranks
_TOP = {1: ("col.province", "overview.top_provinces"), 2: ("col.district", "overview.top_districts"),
        3: ("col.tambon", "overview.top_tambons")}


def _province_table(rows: list[dict], lang: str, level: int = 1) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in
                               ("col.rank", _TOP[level][0], "col.poor", "col.share",
                                "col.change")]))
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
    # responsive: on a phone the table scrolls in its box instead of widening the page
    return dbc.Table([head, body], striped=True, hover=True, size="sm", responsive=True,
                     className="table-compact", id="overview-top-provinces")


def _breadcrumb(trail: list[dict], round_q: str, lang: str) -> html.Nav:
    """Thailand › province › district: each level above the shown one is a link (a
    provincial user zooms out to the country with ``?area=TH``)."""
    entries = [{"pcode": "TH", "name_th": t("shell.country", "th"),
                "name_en": t("shell.country", "en")}, *trail]
    crumbs: list = []
    for n, e in enumerate(entries):
        name = pick(e["name_th"], e["name_en"], lang)
        if n == len(entries) - 1:
            crumbs.append(html.Span(name, className="map-crumb-current", **{"aria-current": "page"}))
        else:
            crumbs += [dcc.Link(name, href=f"/?area={e['pcode']}{round_q}", className="map-crumb"),
                       html.Span(" › ", className="map-crumb-sep")]
    return html.Nav(crumbs, id="overview-breadcrumb", className="map-breadcrumb",
                    **{"aria-label": "breadcrumb"})


def layout(round: str | None = None, area: str | None = None,  # noqa: A002 (URL parameter name)
           **_query) -> html.Div:
    lang = current_lang()
    scope = current_scope()
    home = None
    if area is None and scope.home_area:  # a committee's or officer's own area
        area = home = scope.home_area
    area = (area or "TH").upper()
    if area != "TH" and not AREA_RE.match(area):
        return message(f"{t('error.bad_param', lang)}: area={area!r}", "danger")
    level = pcode_level(area)
    # the ranked areas: inside the shown one (a tambon's: its district's tambons)
    parent = area if level < 3 else area[:6]
    with read_scoped(scope) as conn:  # aggregates only: a replica may serve them
        rounds = list_rounds(conn)
        try:
            current = resolve_round(rounds, round)
        except ValueError as err:
            return message(f"{t('error.bad_param', lang)}: {err}", "danger")
        if current is None:
            return message(t("no_data", lang))
        trail = ancestors(conn, area, include_self=True) if level else []
        if level and not trail:
            return message(f"{t('error.bad_param', lang)}: area={area!r}", "danger")
        prev = previous_round(rounds, current)
        now = overview.national_counts(conn, scope, current.round_id, area)
        before = overview.national_counts(conn, scope, prev.round_id, area) if prev else {}
        dims_now = overview.dimension_counts(conn, scope, current.round_id, area)
        dims_before = (overview.dimension_counts(conn, scope, prev.round_id, area)
                       if prev else None)
        top = overview.top_provinces(conn, scope, current.round_id,
                                     prev.round_id if prev else None, parent=parent)
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
    round_q = f"&round={round}" if round else ""
    title = (t("overview.title_area", lang).replace(
        "{area}", pick(trail[-1]["name_th"], trail[-1]["name_en"], lang)) if level
        else t("overview.title", lang))
    return html.Div(
        [
            # the user's own area in the address (replaceState: no page rebuild), so a
            # shared link or a reload shows what is on screen
            dcc.Store(id="overview-home", data=f"?area={home}{round_q}" if home else None),
            html.Div(id="overview-home-mark", hidden=True),
            html.H1(title, className="page-title"),
            _breadcrumb(trail, round_q, lang) if level else None,
            html.Div(f"{round_label(current.year_be, lang)} · {source}", className="page-subtitle"),
            cards,
            dbc.Row(
                [
                    dbc.Col([
                        dcc.Graph(id="overview-dimensions",
                                  figure=_dimension_figure(dims_now, dims_before, current.year_be,
                                                           prev_year, lang),
                                  config=GRAPH_CONFIG,
                                  # as tall as the figure: a responsive graph otherwise
                                  # takes a default box and the notes below overlap it
                                  style={"height": f"{OVERVIEW_CHART_HEIGHT}px"}),
                        html.Div(t("overview.poor_note", lang), className="figure-note",
                                 id="overview-chart-note"),
                        html.Div(source_line(t("source", lang), source),
                                 id="overview-chart-source"),
                    ], lg=7, className="mb-3"),
                    dbc.Col([
                        html.H2(f"{t(_TOP[pcode_level(parent) + 1][1], lang)} — "
                                f"{round_label(current.year_be, lang)}",
                                className="h6 mt-2", id="overview-top-title"),
                        _province_table(top, lang, pcode_level(parent) + 1),
                        source_line(t("source", lang), source),
                    ], lg=5),
                ],
                className="g-3",
            ),
        ]
    )


clientside_callback(  # assets/20-chipao.js: the user's own area into the address
    ClientsideFunction("chipao", "ownArea"),
    Output("overview-home-mark", "className"),
    Input("overview-home", "data"),
)
