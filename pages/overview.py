"""/ — the overview: households surveyed, poor households by dimension, change since
the previous round, top provinces, and the trend over every survey round — for the
country, or (``?area=``) one province, district or tambon with its top districts or
tambons. A provincial, district or tambon user opens at their own area
(Scope.home_area); ``?area=TH`` is the country.
Figures: queries/overview.py and queries/trend.py (`overview_view` reads them once for
the page and for its downloads, pages/overview_exports.py, so both hold the same
figures). Print (Ctrl+P) and presentation mode (?present=1): assets/51-overview.css."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, clientside_callback, dcc, html

from chipao.domain.pcodes import AREA_RE, pcode_level
from chipao.domain.scope import Scope
from chipao.web.session import current_scope, read_scoped
from components import trend as tr
from components.cards import kpi_card, message, source_line
from components.formatting import be_datetime
from components.i18n import current_lang, fmt_int, fmt_pct, fmt_signed, pick, round_label, t
from components.theme import (
    CURRENT,
    GRAPH_CONFIG,
    PREVIOUS,
    TOOLBAR_PX,
    base_layout,
    chart_title,
)
from geodata.static_map import ATTRIBUTION_EN, ATTRIBUTION_TH
from pages import overview_ids as ids
from queries import overview, trend
from queries.areas import ancestors
from queries.briefs import data_state
from queries.mpi import load_catalogue
from queries.rounds import list_rounds, previous_round, resolve_round
from queries.suppression import threshold

dash.register_page(__name__, path="/", name="overview", nav_key="nav.overview", order=0)

OVERVIEW_CHART_HEIGHT = 400
TREND_CHART_HEIGHT = 320
TREND_K = 1 / 3  # the overview's H/A/M0 are at the map's default cut-off
K_LABEL = "1/3"
# what the top-areas table and its download are called, by the level they rank
TOP_WORD = {1: "overview.provinces", 2: "overview.districts", 3: "overview.tambons"}


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
                     className="table-compact", id=ids.TOP_PROVINCES)


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
    return html.Nav(crumbs, id=ids.BREADCRUMB, className="map-breadcrumb",
                    **{"aria-label": "breadcrumb"})


class OverviewError(ValueError):
    """A round or area the store does not hold, or no data at all (the message says
    which; `color` is the alert's)."""

    def __init__(self, text: str, color: str = "danger") -> None:
        super().__init__(text)
        self.color = color


def overview_view(scope: Scope, lang: str, round_param: str | None,
                  area_param: str | None) -> dict:
    """Everything the overview shows, for the page and its downloads alike."""
    home = None
    area = area_param
    if area is None and scope.home_area:  # a committee's or officer's own area
        area = home = scope.home_area
    area = (area or "TH").upper()
    if area != "TH" and not AREA_RE.match(area):
        raise OverviewError(f"{t('error.bad_param', lang)}: area={area!r}")
    level = pcode_level(area)
    # the ranked areas: inside the shown one (a tambon's: its district's tambons)
    parent = area if level < 3 else area[:6]
    with read_scoped(scope) as conn:  # aggregates only: a replica may serve them
        rounds = list_rounds(conn)
        try:
            current = resolve_round(rounds, round_param)
        except ValueError as err:
            raise OverviewError(f"{t('error.bad_param', lang)}: {err}") from err
        if current is None:
            raise OverviewError(t("no_data", lang), "warning")
        trail = ancestors(conn, area, include_self=True) if level else []
        if level and not trail:
            raise OverviewError(f"{t('error.bad_param', lang)}: area={area!r}")
        prev = previous_round(rounds, current)
        now = overview.national_counts(conn, scope, current.round_id, area)
        before = overview.national_counts(conn, scope, prev.round_id, area) if prev else {}
        dims_now = overview.dimension_counts(conn, scope, current.round_id, area)
        dims_before = (overview.dimension_counts(conn, scope, prev.round_id, area)
                       if prev else None)
        top = overview.top_provinces(conn, scope, current.round_id,
                                     prev.round_id if prev else None, parent=parent)
        rows = trend.area_trend(conn, scope, load_catalogue(conn), area, k=TREND_K,
                                rounds=rounds)
        refreshed_at, _version = data_state(conn)
    if not now.get("surveyed"):
        raise OverviewError(t("no_data", lang), "warning")
    area_name = (pick(trail[-1]["name_th"], trail[-1]["name_en"], lang) if level
                 else t("shell.country", lang))
    return {"current": current, "prev": prev, "now": now, "before": before,
            "dims_now": dims_now, "dims_before": dims_before, "top": top, "trend": rows,
            "source": pick(current.source_th, current.source_en, lang),
            "refreshed_at": refreshed_at, "suppressed": scope.suppress_small_counts,
            "area": area, "area_name": area_name, "level": level, "parent": parent,
            "trail": trail, "home": home, "top_level": pcode_level(parent) + 1}


CHANGES = ("left_poverty", "new_poor")  # already a change between the two rounds
FIGURE_ROWS = (("surveyed", "overview.surveyed"), ("people", "overview.people"), ("poor", "overview.poor"),
               ("poor_people", "overview.poor_people"), ("target_poor", "overview.target_poor"),
               ("left_poverty", "overview.left_poverty"), ("new_poor", "overview.new_poor"))


def figure_rows(view: dict, lang: str) -> list[dict]:
    """The headline figures as a table: this round, the previous round and the change
    (left poverty and newly poor are themselves changes: one value)."""
    now, before, prev = view["now"], view["before"], view["prev"]
    out = []
    for key, label in FIGURE_ROWS:
        changes = key in CHANGES
        if changes and prev is None:
            continue
        value, earlier = now.get(key), None if changes else before.get(key)
        out.append({"key": key, "figure": t(label, lang),
                    "now": value, "before": earlier,
                    "change": None if value is None or earlier is None else value - earlier})
    surveyed, poor = now.get("surveyed"), now.get("poor")
    share_before = (before.get("poor") / before["surveyed"]
                    if before.get("poor") is not None and before.get("surveyed") else None)
    share = poor / surveyed if poor is not None and surveyed else None
    out.insert(3, {"key": "poor_share", "figure": t("overview.poor_share", lang),
                   "now": None if share is None else round(100 * share, 1),
                   "before": None if share_before is None else round(100 * share_before, 1),
                   "change": None if share is None or share_before is None
                   else round(100 * (share - share_before), 1)})
    return out


def filter_notes(view: dict, lang: str) -> list[tuple[str, str]]:
    """The filters and provenance as people read them (XLSX second sheet, print line)."""
    current, prev = view["current"], view["prev"]
    notes = [(t("overview.area", lang), view["area_name"]),
             (t("shell.round", lang), round_label(current.year_be, lang))]
    if prev is not None:
        notes.append((t("overview.change", lang), round_label(prev.year_be, lang)))
    notes += [("k (H, A, M0)", K_LABEL),
              (t("overview.data_date", lang), be_datetime(view["refreshed_at"], lang)
               if isinstance(view["refreshed_at"], datetime) else "–"),
              (t("source", lang), view["source"]),
              (t("overview.boundaries", lang), ATTRIBUTION_TH if lang == "th" else ATTRIBUTION_EN)]
    if view["suppressed"]:
        notes.append((t("overview.note", lang), t("overview.suppressed", lang).replace("{n}", str(threshold()))))
    return notes


def _figures_table(rows: list[dict], view: dict, lang: str) -> html.Div:
    """The headline figures as text (what the figures download holds)."""
    prev = view["prev"]
    head = [t("overview.figure", lang), round_label(view["current"].year_be, lang)]
    if prev is not None:
        head += [round_label(prev.year_be, lang), t("overview.col_change", lang)]

    def cell(key: str, v) -> str:
        if key == "poor_share":
            return "–" if v is None else f"{v:.1f}%"
        return _count(v)

    body = []
    for r in rows:
        cells = [html.Th(r["figure"], scope="row"), html.Td(cell(r["key"], r["now"]),
                                                            className="text-end")]
        if prev is not None:
            change = r["change"]
            cells += [html.Td("–" if r["key"] in CHANGES else cell(r["key"], r["before"]),
                              className="text-end"),
                      html.Td("–" if change is None else
                              (f"{change:+.1f} pp" if r["key"] == "poor_share"
                               else fmt_signed(change)), className="text-end")]
        body.append(html.Tr(cells))
    return html.Details([
        html.Summary(t("overview.figures", lang)),
        html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                    html.Tbody(body)], className="table table-sm table-compact",
                   id=ids.FIGURES_TABLE),
    ], className="overview-figures mb-2", open=True)


def _toolbar(query: str, lang: str, top_word: str = "overview.provinces") -> html.Div:
    def link(label: str, path: str, link_id: str) -> html.A:
        return html.A(label, href=f"{path}{query}", id=link_id, download="",
                      className="btn btn-sm btn-outline-secondary")

    present = "?" + "&".join(p for p in ("present=1", query.lstrip("?")) if p)
    return html.Div([
        html.Span(t("overview.downloads", lang) + ":", className="small text-muted me-1"),
        link(f"{t('overview.figures', lang)} CSV", "/export/overview.csv", ids.FIGURES_CSV),
        link(f"{t('overview.figures', lang)} XLSX", "/export/overview.xlsx", ids.FIGURES_XLSX),
        link(f"{t(top_word, lang)} CSV", "/export/provinces.csv", ids.PROVINCES_CSV),
        link(f"{t(top_word, lang)} XLSX", "/export/provinces.xlsx",
             ids.PROVINCES_XLSX),
        link(f"{t('overview.trend', lang)} CSV", "/export/trend.csv", ids.TREND_CSV),
        link(f"{t('overview.trend', lang)} XLSX", "/export/trend.xlsx", ids.TREND_XLSX),
        link(f"{t('overview.dimensions_chart', lang)} PNG", "/export/dimensions.png",
             ids.DIMENSIONS_PNG),
        link(f"{t('overview.dimensions_chart', lang)} SVG", "/export/dimensions.svg",
             ids.DIMENSIONS_SVG),
        link(f"{t('overview.trend_chart', lang)} PNG", "/export/trend.png", ids.TREND_PNG),
        link(f"{t('overview.trend_chart', lang)} SVG", "/export/trend.svg", ids.TREND_SVG),
        html.A(t("overview.present", lang), href=f"/{present}", id=ids.PRESENT,
               className="btn btn-sm btn-outline-primary ms-2"),
    ], className="meeting-toolbar d-flex flex-wrap align-items-center gap-1 my-2",
        id=ids.TOOLBAR)


def layout(round: str | None = None, area: str | None = None,  # noqa: A002 (URL parameter name)
           **_query) -> html.Div:
    lang = current_lang()
    try:
        view = overview_view(current_scope(), lang, round, area)
    except OverviewError as err:
        return message(str(err), err.color)
    current, prev, now, before = view["current"], view["prev"], view["now"], view["before"]
    level, trail, home = view["level"], view["trail"], view["home"]
    prev_year = prev.year_be if prev else None
    surveyed, poor = now.get("surveyed"), now.get("poor")
    source = view["source"]

    def people(key: str) -> str:
        return t("overview.people_of", lang).replace("{n}", _count(now.get(key)))

    cards = dbc.Row(
        [
            dbc.Col(kpi_card(t("overview.surveyed", lang), _count(surveyed),
                             _change_detail(surveyed, before.get("surveyed"), prev_year, lang),
                             people("people"), card_id=ids.KPI_SURVEYED), md=6, xl=3),
            dbc.Col(kpi_card(t("overview.poor", lang), _count(poor),
                             f"{fmt_pct(poor / surveyed if poor and surveyed else None)} · "
                             + _change_detail(poor, before.get("poor"), prev_year, lang),
                             f"{people('poor_people')} · {t('overview.poor_note', lang)}",
                             card_id=ids.KPI_POOR), md=6, xl=3),
            dbc.Col(kpi_card(t("overview.target_poor", lang), _count(now.get("target_poor")),
                             _change_detail(now.get("target_poor"), before.get("target_poor"),
                                            prev_year, lang),
                             card_id=ids.KPI_TARGET_POOR), md=6, xl=3),
            dbc.Col(kpi_card(t("overview.left_poverty", lang),
                             _count(now.get("left_poverty")) if prev else "–",
                             round_label(prev_year, lang) + " → " + round_label(current.year_be, lang)
                             if prev else t("overview.no_previous", lang),
                             t("overview.left_poverty_note", lang), card_id=ids.KPI_LEFT_POVERTY),
                    md=6, xl=3),
        ],
        className="g-3 mb-3 overview-kpis",
    )
    round_q = f"&round={round}" if round else ""
    title = (t("overview.title_area", lang).replace("{area}", view["area_name"]) if level
             else t("overview.title", lang))
    # the downloads hold this very view: its area and round
    query = "?" + urlencode({**({"area": view["area"]} if level else {}),
                             "round": current.year_be})
    notes = filter_notes(view, lang)
    return html.Div(
        [
            # the user's own area in the address (replaceState: no page rebuild), so a
            # shared link or a reload shows what is on screen
            dcc.Store(id=ids.HOME, data=f"?area={home}{round_q}" if home else None),
            html.Div(id=ids.HOME_MARK, hidden=True),
            html.H1(title, className="page-title"),
            _breadcrumb(trail, round_q, lang) if level else None,
            html.Div(f"{round_label(current.year_be, lang)} · {source}", className="page-subtitle",
                     id=ids.SUBTITLE),
            _toolbar(query, lang, TOP_WORD[view["top_level"]]),
            cards,
            _figures_table(figure_rows(view, lang), view, lang),
            dbc.Row(
                [
                    dbc.Col([
                        dcc.Graph(id=ids.DIMENSIONS,
                                  figure=_dimension_figure(view["dims_now"], view["dims_before"],
                                                           current.year_be, prev_year, lang),
                                  config=GRAPH_CONFIG,
                                  # as tall as the figure: a responsive graph otherwise
                                  # takes a default box and the notes below overlap it
                                  style={"height": f"{OVERVIEW_CHART_HEIGHT}px"},
                                  className="overview-chart"),
                        html.Div(t("overview.poor_note", lang), className="figure-note",
                                 id=ids.CHART_NOTE),
                        html.Div(source_line(t("source", lang), source),
                                 id=ids.CHART_SOURCE),
                    ], lg=7, className="mb-3"),
                    dbc.Col([
                        html.H2(f"{t(_TOP[view['top_level']][1], lang)} — "
                                f"{round_label(current.year_be, lang)}",
                                className="h6 mt-2", id=ids.TOP_TITLE),
                        _province_table(view["top"], lang, view["top_level"]),
                        source_line(t("source", lang), source),
                    ], lg=5),
                ],
                className="g-3 overview-charts",
            ),
            tr.block(view["trend"], lang, K_LABEL, ids.TREND_PREFIX,
                     f"{t('trend.title', lang)} — {view['area_name']}",
                     height=TREND_CHART_HEIGHT),
            source_line(t("source", lang), source),
            # printed at the foot of every page (assets/51-overview.css)
            html.Div(" · ".join(f"{k}: {v}" for k, v in notes), id=ids.PRINT_STAMP,
                     className="overview-print-stamp"),
        ],
        className="overview-page",
    )


clientside_callback(  # assets/20-chipao.js: the user's own area into the address
    ClientsideFunction("chipao", "ownArea"),
    Output(ids.HOME_MARK, "className"),
    Input(ids.HOME, "data"),
)
