"""/centres — tambon social-help centres over a poverty map, coverage of poor households
within a chosen distance, the service-gap ranking (with a bivariate map and a CSV
export) and the "where to open next" planner, which runs as a background callback.

Figures come from aggregates (queries/centres.py); lists of households only for
record roles, through row-level security, and audited.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import flask
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
)
from dash.exceptions import PreventUpdate

from chipao.domain.coverage_planner import plan_sites
from chipao.domain.exports import to_csv_bytes, to_xlsx_bytes
from chipao.domain.pcodes import LEVELS, pcode_level
from chipao.domain.rates import min_households, too_few
from chipao.domain.scope import PUBLIC, Role, Scope
from chipao.web import auth
from chipao.web.download import send
from chipao.web.jobs import (
    UNAVAILABLE_EN,
    UNAVAILABLE_TH,
    background_manager,
    jobs_available,
    seal,
    unseal,
)
from chipao.web.session import current_scope
from components import centre_widgets as cw
from components import choropleth as cp
from components import downloads as dl
from components import map_view as mv
from components import shell_ids
from components.cards import kpi_card, message, source_line
from components.formatting import fmt_km
from components.forms import labelled_group
from components.i18n import (
    Lang,
    current_lang,
    fmt_datetime,
    fmt_int,
    fmt_pct,
    pick,
    round_label,
    service_label,
    t,
)
from geodata.serve import geometry_url, tile_sources
from geodata.static_map import (
    ATTRIBUTION_EN,
    ATTRIBUTION_TH,
    LegendEntry,
    MapPoint,
    MapSpec,
    file_name,
    render,
    shapes_frame,
)
from geodata.static_map import NO_DATA as NO_DATA_COLOR
from pages import centres_ids as ids
from queries import centres as q
from queries.areas import area_names, get_area
from queries.audit import record
from queries.db import scoped
from queries.rounds import SurveyRound, list_rounds, resolve_round
from queries.suppression import suppress

dash.register_page(__name__, path="/centres", name="centres", nav_key="nav.centres", order=4,
                   title="ชี้เป้า Chipao — ศูนย์ช่วยเหลือสังคม")

MAP_HEIGHT = 600
DEFAULT_DISTANCE = 10
MAX_DISTANCE = q.MAX_BAND_KM
GAP_ROWS_SHOWN = 25
MAX_SITES = 100
HOUSEHOLD_LIST_LIMIT = 500
PAGE = "/centres"
AREA_RE = re.compile(r"^TH(\d{2}(\d{2})?)?$")
DEFAULT_STATUSES = ("open", "planned")  # the centres the map shows until the user picks

# Background jobs run in other processes: Celery workers with Redis, else diskcache.
PLANNER = background_manager(ids.PLANNER)


@dash.hooks.custom_data("chipao_centres")
def _request_identity(_ctx: Any) -> dict:
    """Who asked and in which language, taken from the server-side session while the
    request is handled, so that a background job (another process, no request) knows."""
    scope = current_scope()
    return {"username": scope.username, "role": str(scope.role), "areas": list(scope.areas),
            "session": scope.session, "lang": current_lang()}


def _job_identity() -> tuple[Scope, Lang]:
    data = (dash.ctx.custom_data or {}).get("chipao_centres") if dash.ctx else None
    if not data:
        return PUBLIC, "th"
    # the starter's own database session: the job sees what they may see, and nothing
    # once they sign out
    return Scope(data["username"], Role(data["role"]), tuple(data["areas"]),
                 session=data.get("session")), data["lang"]


# ── small helpers ────────────────────────────────────────────────────────────
def _area(province: str | None, district: str | None) -> str:
    for value in (district, province):
        if value and AREA_RE.match(value):
            return value
    return "TH"


def _distance(value: Any) -> int:
    try:
        d = int(value)
    except (TypeError, ValueError):
        return DEFAULT_DISTANCE
    return min(max(d, 1), MAX_DISTANCE)


def _round(rounds: list[SurveyRound], year: Any) -> SurveyRound | None:
    try:
        return resolve_round(rounds, year)
    except ValueError:
        return resolve_round(rounds, None)  # an unknown round: the latest


def _fmt(template: str, **values: Any) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def _level_options(area: str, lang: Lang) -> list[dict]:
    levels = [lv for lv in LEVELS if lv > pcode_level(area)]
    return [{"label": t(f"centres.level.{lv}", lang), "value": lv} for lv in levels]


def _default_level(area: str) -> int:
    return 1 if area == "TH" else 3


# ── layout ───────────────────────────────────────────────────────────────────
def layout(round: str | None = None, area: str | None = None, d: str | None = None,  # noqa: A002
           **_query: Any) -> html.Div:
    lang = current_lang()
    scope = current_scope()
    with scoped(scope) as conn:
        rounds = list_rounds(conn)
        try:
            current = resolve_round(rounds, round)
        except ValueError as err:
            return message(f"{t('error.bad_param', lang)}: {err}", "danger", ids.ERROR)
        if current is None:
            return message(t("no_data", lang), msg_id=ids.ERROR)
        provinces = area_names(conn, 1)
        measures = q.measure_options(conn)
        services = q.service_names(conn)
        info = q.refresh_info(conn)
        # a committee's or officer's own province or district (the centres views go down
        # to districts); clearing the province shows the country (area=TH)
        area = (area or (scope.home_area or "TH")[:6]).upper()
        if not AREA_RE.match(area) or area_level_invalid(conn, area):
            return message(f"{t('error.bad_param', lang)}: area={area}", "danger",
                           ids.ERROR)
        districts = area_names(conn, 2, area[:4]) if len(area) >= 4 else []
    distance = _distance(d)
    province = area[:4] if len(area) >= 4 else None
    district = area[:6] if len(area) >= 6 else None
    notice = [] if info else [message(t("centres.no_coverage", lang), "warning",
                                      ids.NO_COVERAGE)]
    controls = dbc.Row([
        dbc.Col([
            html.Label(t("centres.province", lang), htmlFor=ids.PROVINCE,
                       className="form-label"),
            dcc.Dropdown(id=ids.PROVINCE, value=province, clearable=True,
                         placeholder=t("centres.all_provinces", lang),
                         options=[{"label": pick(p["name_th"], p["name_en"], lang),
                                   "value": p["pcode"]} for p in provinces]),
        ], md=3),
        dbc.Col([
            html.Label(t("centres.district", lang), htmlFor=ids.DISTRICT,
                       className="form-label"),
            dcc.Dropdown(id=ids.DISTRICT, value=district, clearable=True,
                         placeholder=t("centres.all_districts", lang),
                         options=[{"label": pick(x["name_th"], x["name_en"], lang),
                                   "value": x["pcode"]} for x in districts]),
        ], md=3),
        dbc.Col([
            html.Label(t("centres.distance", lang), htmlFor=ids.DISTANCE,
                       className="form-label"),
            # no tooltip: the number box beside the slider shows the value, and a tooltip
            # below the thumb covered the note
            dcc.Slider(id=ids.DISTANCE, min=1, max=MAX_DISTANCE, step=1, value=distance,
                       marks={v: str(v) for v in (1, 5, 10, 15, 20, 30, 40, 50)}),
            html.Div(t("centres.distance_note", lang), className="figure-note"),
        ], md=6),
    ], className="g-2 mb-2 centres-controls")
    map_controls = dbc.Row([
        dbc.Col([
            *labelled_group(t("centres.view", lang), dbc.RadioItems(
                id=ids.VIEW, value="poverty", inline=True, options=[
                    {"label": t("centres.view.poverty", lang), "value": "poverty"},
                    {"label": t("centres.view.bivariate", lang), "value": "bivariate"}]),
                ids.VIEW_GROUP),
        ], md=3),
        dbc.Col([
            html.Label(t("centres.measure", lang), htmlFor=ids.MEASURE,
                       className="form-label"),
            dcc.Dropdown(id=ids.MEASURE, value="poor", clearable=False,
                         options=[{"label": pick(m["name_th"], m["name_en"], lang),
                                   "value": m["measure"]} for m in measures]),
        ], md=3),
        dbc.Col([
            *labelled_group(t("centres.level", lang), dbc.RadioItems(
                id=ids.LEVEL, inline=True, value=_default_level(area),
                options=_level_options(area, lang)), ids.LEVEL_GROUP),
        ], md=2),
        dbc.Col([
            *labelled_group(t("centres.status", lang), dbc.Checklist(
                id=ids.STATUS, inline=True, value=list(DEFAULT_STATUSES),
                options=[{"label": t(f"centres.status.{s}", lang), "value": s}
                         for s in q.STATUSES]), ids.STATUS_GROUP, role="group"),
        ], md=2),
        dbc.Col([
            html.Label(t("centres.services", lang), htmlFor=ids.SERVICES,
                       className="form-label"),
            dcc.Dropdown(id=ids.SERVICES, multi=True, value=[],
                         placeholder=t("centres.services_any", lang),
                         options=[{"label": service_label(s, lang), "value": s} for s in services]),
        ], md=2),
    ], className="g-2 mb-2 centres-map-controls")
    planner = dbc.Card(dbc.CardBody([
        html.H2(t("centres.plan.title", lang), className="h5"),
        html.Div(id=ids.PLAN_INTRO, className="figure-note mb-2"),
        dbc.Row([
            dbc.Col([
                html.Label(t("centres.plan.n", lang), htmlFor=ids.PLAN_N,
                           className="form-label"),
                dbc.Input(id=ids.PLAN_N, type="number", min=1, max=MAX_SITES, step=1,
                          value=10),
            ], md=2),
            dbc.Col(dbc.Checklist(id=ids.PLAN_ONLY_WITHOUT, switch=True, value=[],
                                  options=[{"label": t("centres.plan.only_without", lang),
                                            "value": "only"}]),
                    md=4, className="d-flex align-items-end"),
            dbc.Col([
                dbc.Button(t("centres.plan.run", lang), id=ids.PLAN_RUN, color="primary",
                           className="me-2"),
                dbc.Button(t("centres.plan.cancel", lang), id=ids.PLAN_CANCEL,
                           color="secondary", outline=True, disabled=True),
            ], md=6, className="d-flex align-items-end"),
        ], className="g-2 mb-2"),
        html.Div(dbc.Progress(id=ids.PLAN_PROGRESS, value=0, striped=True, animated=True,
                              label=""),
                 id=ids.PLAN_PROGRESS_BOX, style={"display": "none"}, className="mb-2"),
        html.Div(id=ids.PLAN_UNAVAILABLE),
        html.Div(id=ids.PLAN_RESULT),
        html.Div([
            dbc.Button(t("centres.plan.export_csv", lang), id=ids.PLAN_EXPORT_CSV,
                       color="secondary", outline=True, size="sm", className="me-2"),
            dbc.Button(t("centres.plan.export_xlsx", lang), id=ids.PLAN_EXPORT_XLSX,
                       color="secondary", outline=True, size="sm"),
            dcc.Download(id=ids.PLAN_DOWNLOAD),
        ], id=ids.PLAN_EXPORT, style={"display": "none"}, className="mb-2"),
        html.Div([
            html.H3(t("centres.plan.households", lang), className="h6 mt-3"),
            dcc.Dropdown(id=ids.PLAN_SITE, placeholder=t("centres.plan.pick_site", lang)),
            html.Div(_fmt(t("centres.plan.list_note", lang), n=HOUSEHOLD_LIST_LIMIT),
                     className="figure-note"),
            dcc.Loading(html.Div(id=ids.PLAN_HOUSEHOLDS), delay_show=300),
        ], id=ids.PLAN_HOUSEHOLDS_BOX, style={"display": "none"}),  # record roles
    ]), className="mt-3", id=ids.PLANNER)
    return html.Div([
        html.H1(t("centres.title", lang), className="page-title"),
        html.Div(f"{round_label(current.year_be, lang)} · "
                 f"{pick(current.source_th, current.source_en, lang)}",
                 className="page-subtitle", id=ids.SUBTITLE),
        dl.present_link("/centres?" + urlencode({"area": area, "d": distance, "present": 1}),
                        ids.PRESENT, lang),
        *notice,
        controls,
        html.Div(id=ids.KPIS, className="mb-3"),
        map_controls,
        dbc.Row([
            dbc.Col([
                html.Div(id=ids.MAP_TITLE, className="fw-semibold mb-1"),
                mv.map_view(ids.MAP, label=t("map.aria", lang).replace(
                                "{what}", t("centres.title", lang)),
                            keys_help=t("map.keys", lang), height=MAP_HEIGHT,
                            legend=[html.Div(id=ids.LEGEND),
                                    html.Div(id=ids.POINTS_LEGEND)]),
                cp.attribution(t("attribution", lang)),
                dl.table_links(ids.MAP_EXPORT, {
                    fmt: map_href(fmt, current.year_be, area, distance, _default_level(area),
                                  "poverty", "poor") for fmt in ("png", "svg")}, lang),
                dcc.Store(id=ids.PRINT_SYNC),
            ], lg=12),
        ], className="g-2 centres-map-section"),
        html.Div(t("centres.coverage_note", lang), className="figure-note mt-1"),
        html.Div(id=ids.SOURCE),
        html.H2(t("centres.gap.title", lang), className="h5 mt-4"),
        dbc.Row([
            dbc.Col([
                *labelled_group(t("centres.gap.level", lang), dbc.RadioItems(
                    id=ids.GAP_LEVEL, inline=True, value=3, options=[
                        {"label": t("centres.level.3", lang), "value": 3},
                        {"label": t("centres.level.2", lang), "value": 2}]),
                    ids.GAP_LEVEL_GROUP, label_class="form-label me-2"),
            ], md=4),
            dbc.Col([
                html.Label(t("centres.gap.sort", lang), htmlFor=ids.GAP_SORT,
                           className="form-label"),
                dcc.Dropdown(id=ids.GAP_SORT, value="beyond", clearable=False,
                             options=[{"label": t(f"centres.gap.sort.{k}", lang), "value": k}
                                      for k in q.GAP_SORTS]),
            ], md=4),
            dbc.Col(dl.table_links(ids.GAP_EXPORT, {
                fmt: gap_href(fmt, current.year_be, area, distance, 3, "beyond")
                for fmt in ("csv", "xlsx")}, lang),
                md=4, className="d-flex align-items-end justify-content-end"),
        ], className="g-2 mb-2"),
        html.Div(id=ids.GAP_NOTE, className="figure-note mb-1"),
        dcc.Loading(html.Div(id=ids.GAP), delay_show=300),
        planner,
        dcc.Store(id=ids.PLAN_STORE),
        dcc.Store(id=ids.PLAN_GO),
        dl.page_stamp("", ids.PRINT_STAMP),
    ], id=ids.PAGE)


def area_level_invalid(conn, area: str) -> bool:
    return area != "TH" and get_area(conn, area) is None


# ── the view ─────────────────────────────────────────────────────────────────
@callback(
    Output(ids.DISTRICT, "options"),
    Output(ids.DISTRICT, "value"),
    Input(ids.PROVINCE, "value"),
    State(ids.DISTRICT, "value"),
)
def district_options(province: str | None, district: str | None):
    if not province or not AREA_RE.match(province):
        return [], None
    lang = current_lang()
    with scoped(current_scope()) as conn:
        rows = area_names(conn, 2, province)
    keep = district if district and district.startswith(province) else None
    return [{"label": pick(r["name_th"], r["name_en"], lang), "value": r["pcode"]}
            for r in rows], keep


@callback(
    Output(ids.LEVEL, "options"),
    Output(ids.LEVEL, "value"),
    Input(ids.PROVINCE, "value"),
    Input(ids.DISTRICT, "value"),
    State(ids.LEVEL, "value"),
)
def level_options(province: str | None, district: str | None, level: int | None):
    area = _area(province, district)
    options = _level_options(area, current_lang())
    valid = {o["value"] for o in options}
    return options, level if level in valid and dash.ctx.triggered_id is None else \
        _default_level(area)


def _poverty_layer(conn, scope: Scope, round_id: int, level: int, area: str, measure: str,
                   distance: int, lang: Lang) -> tuple[list, list, list, Any]:
    rows = q.area_measure(conn, scope, round_id, level, area, measure)
    reach = {r["pcode"]: r for r in q.coverage_by_area(conn, scope, round_id, level, area,
                                                      distance)}
    min_n = min_households()
    few = [too_few(r["surveyed"], min_n) for r in rows]
    values = [r["share"] for r in rows]
    classes = cp.classify([v for v, f in zip(values, few, strict=True) if not f])
    z = cp.class_index(values, classes, few)
    within = _fmt(t("centres.kpi.within", lang), d=distance)
    hover = [f"{fmt_pct(r['share'])} ({fmt_int(r['n'])} / {fmt_int(r['surveyed'])})"
             for r in rows]
    more = [f"{within}: {fmt_pct(reach.get(r['pcode'], {}).get('share_within'))}"
            for r in rows]
    label = (t("centres.legend.poverty_axis", lang) if measure == "poor"
             else pick(*_measure_name(conn, measure), lang))
    legend = cp.legend(classes, fmt_pct, label,
                       insufficient_label=_fmt(t("centres.legend.too_few", lang), n=min_n),
                       legend_id=ids.LEGEND_POVERTY)
    return [r["pcode"] for r in rows], z, (hover, more, label), (classes, legend)


def _measure_name(conn, measure: str) -> tuple[str, str]:
    for m in q.measure_options(conn):
        if m["measure"] == measure:
            return m["name_th"], m["name_en"]
    return measure, measure


def _bivariate_layer(conn, scope: Scope, round_id: int, level: int, area: str, distance: int,
                     lang: Lang) -> tuple[list, list, list, Any]:
    rows = q.coverage_by_area(conn, scope, round_id, level, area, distance, sort="beyond")
    rows.sort(key=lambda r: r["pcode"])
    min_n = min_households()
    few = [too_few(r["surveyed"], min_n) for r in rows]
    z, breaks = cw.bivariate_index([r["poverty_share"] for r in rows],
                                   [r["mean_km"] for r in rows], distance, few)
    beyond = _fmt(t("centres.hover.beyond", lang), d=distance)
    hover = [fmt_pct(r["poverty_share"]) for r in rows]
    more = [f"{t('centres.hover.mean_km', lang)}: {fmt_km(r['mean_km'])} km\n"
            f"{fmt_int(r['poor_beyond'])} {beyond}" for r in rows]
    classes = cp.Classes(bins=[float(i) for i in range(9)], colors=cw.BIVARIATE, lower=0.0)
    legend = cw.bivariate_legend(lang, breaks, distance, min_n)
    return ([r["pcode"] for r in rows], z, (hover, more, t("centres.hover.poverty", lang)),
            (classes, legend))


def _kpis(conn, scope: Scope, round_id: int, area: str, distance: int, lang: Lang) -> list:
    cov = q.coverage_summary(conn, scope, round_id, area, distance)
    net = q.network_counts(conn, scope, area)
    counts = q.area_counts(conn, scope, round_id, area)
    within = _fmt(t("centres.kpi.within", lang), d=distance)
    cards = [
        dbc.Col(kpi_card(
            within, fmt_pct(cov["share_within"]),
            _fmt(t("centres.kpi.within_detail", lang), n=fmt_int(cov["poor_within"]),
                 total=fmt_int(cov["poor"])),
            _unlocated_note(counts, cov, lang), card_id=ids.KPI_WITHIN), md=6, xl=3),
        dbc.Col(kpi_card(
            _fmt(t("centres.kpi.beyond", lang), d=distance), fmt_int(cov["poor_beyond"]),
            _fmt(t("centres.kpi.beyond_detail", lang), km=fmt_km(cov["mean_km"])),
            _fmt(t("centres.kpi.no_centre", lang), n=fmt_int(cov["poor_no_centre"]))
            if cov["poor_no_centre"] else None, card_id=ids.KPI_BEYOND), md=6, xl=3),
        dbc.Col(kpi_card(
            t("centres.kpi.tambons", lang), fmt_int(net["tambons_open"]),
            _fmt(t("centres.kpi.tambons_detail", lang), n=fmt_int(net["tambons_open"]),
                 total=fmt_int(net["tambons"]), without=fmt_int(net["tambons_without"]),
                 planned=fmt_int(net["tambons_planned_only"])),
            card_id=ids.KPI_TAMBONS), md=6, xl=3),
    ]
    if area == "TH":
        missing = q.provinces_without_centre(conn, scope)
        names = ", ".join(pick(p["name_th"], p["name_en"], lang) for p in missing[:8])
        if len(missing) > 8:
            names += " …"
        cards.append(dbc.Col(kpi_card(
            t("centres.kpi.provinces", lang), f"{net['provinces_open']} / {net['province_target']}",
            _fmt(t("centres.kpi.provinces_detail", lang), n=net["provinces_open"],
                 total=net["provinces"], target=net["province_target"]),
            _fmt(t("centres.kpi.provinces_missing", lang), names=names) if missing else None,
            card_id=ids.KPI_PROVINCES), md=6, xl=3))
    else:
        cards.append(dbc.Col(kpi_card(
            t("centres.kpi.centres", lang), fmt_int(net["open_centres"]),
            _fmt(t("centres.kpi.centres_detail", lang), open=fmt_int(net["open_centres"]),
                 planned=fmt_int(net["planned_centres"])),
            card_id=ids.KPI_CENTRES), md=6, xl=3))
    return [dbc.Row(cards, className="g-3")]


def _unlocated_note(counts: dict, cov: dict, lang: Lang) -> str | None:
    poor_all, poor_located = counts.get("poor"), cov.get("poor")
    if poor_all is None or poor_located is None or poor_all <= poor_located:
        return None
    return _fmt(t("centres.unlocated", lang), n=fmt_int(poor_all - poor_located))


def _source(current: SurveyRound, info: dict | None, lang: Lang) -> html.Div:
    parts = [source_line(t("source", lang), pick(current.source_th, current.source_en, lang))]
    if info:
        at = fmt_datetime(info["refreshed_at"], lang)
        parts.append(source_line(t("source", lang), _fmt(
            t("centres.source_centres", lang), open=fmt_int(info["open_centres"]), at=at)))
    return html.Div(parts)


@callback(
    Output(mv.spec_id(ids.MAP), "data"),
    Output(mv.values_id(ids.MAP), "data"),
    Output(ids.LEGEND, "children"),
    Output(ids.POINTS_LEGEND, "children"),
    Output(ids.MAP_TITLE, "children"),
    Output(ids.KPIS, "children"),
    Output(ids.SOURCE, "children"),
    Output(ids.SUBTITLE, "children"),
    Output(ids.PLAN_INTRO, "children"),
    Output(ids.MAP_EXPORT_PNG, "href"),
    Output(ids.MAP_EXPORT_SVG, "href"),
    Output(ids.PRINT_STAMP, "children"),
    Input(ids.PROVINCE, "value"),
    Input(ids.DISTRICT, "value"),
    Input(ids.DISTANCE, "value"),
    Input(ids.VIEW, "value"),
    Input(ids.MEASURE, "value"),
    Input(ids.LEVEL, "value"),
    Input(ids.STATUS, "value"),
    Input(ids.SERVICES, "value"),
    Input(ids.PLAN_STORE, "data"),
    Input(shell_ids.ROUND, "value"),
)
def update_view(province, district, distance, view, measure, level, statuses, services,
                plan, year):
    lang, scope = current_lang(), current_scope()
    area, distance = _area(province, district), _distance(distance)
    if level not in (1, 2, 3) or level <= pcode_level(area):
        level = _default_level(area)
    with scoped(scope) as conn:
        rounds = list_rounds(conn)
        current = _round(rounds, year)
        if current is None:
            raise PreventUpdate
        allowed = {m["measure"] for m in q.measure_options(conn)}
        measure = measure if measure in allowed else "poor"
        if view == "bivariate":
            locations, z, hover, (classes, legend) = _bivariate_layer(
                conn, scope, current.round_id, level, area, distance, lang)
            title = t("centres.map_title.bivariate", lang)
        else:
            locations, z, hover, (classes, legend) = _poverty_layer(
                conn, scope, current.round_id, level, area, measure, distance, lang)
            title = _fmt(t("centres.map_title.poverty", lang),
                         measure=pick(*_measure_name(conn, measure), lang))
        statuses = [s for s in (statuses or []) if s in q.STATUSES]
        points = q.list_centres(conn, scope, area, statuses or ["none"], services or None)
        box = get_area(conn, area) if area != "TH" else None
        kpis = _kpis(conn, scope, current.round_id, area, distance, lang)
        info = q.refresh_info(conn)
    bounds = (box["xmin"], box["ymin"], box["xmax"], box["ymax"]) if box else None
    sites = (plan or {}).get("sites") or []
    features = cw.centres_points(points, lang) + cw.sites_points(sites, lang)
    parent = None if area == "TH" else area
    geometry = geometry_url(level, parent)
    texts, more, label = hover
    spec = mv.map_spec(geometry, locations, level=level, bounds=bounds, measure_label=label,
                       rank_label=t("map.rank", lang), lang=lang, **tile_sources(level, parent),
                       points={"type": "FeatureCollection", "features": features})
    values = mv.map_values(geometry, f"{view}:{level}:{area}:{measure}:{distance}:{year}",
                           z, classes.colors, texts, label=label, more=more)
    title = f"{title} — {round_label(current.year_be, lang)}"
    subtitle = f"{round_label(current.year_be, lang)} · {pick(current.source_th, current.source_en, lang)}"
    intro = _fmt(t("centres.plan.intro", lang), d=distance)
    links = [map_href(fmt, current.year_be, area, distance, level, view, measure, statuses,
                      services or ()) for fmt in ("png", "svg")]
    stamp = " · ".join([title, t("shell.country", lang) if area == "TH" else area,
                        _fmt(t("centres.gap.note", lang), d=distance),
                        t(f"centres.level.{level}", lang),
                        f"{t('source', lang)}: {pick(current.source_th, current.source_en, lang)}",
                        t("attribution", lang)])
    return (spec, values, legend, cw.points_legend(lang, bool(sites)), title, kpis,
            _source(current, info, lang), subtitle, intro, *links, stamp)


@callback(
    Output(ids.GAP, "children"),
    Output(ids.GAP_NOTE, "children"),
    Output(ids.GAP_EXPORT_CSV, "href"),
    Output(ids.GAP_EXPORT_XLSX, "href"),
    Input(ids.PROVINCE, "value"),
    Input(ids.DISTRICT, "value"),
    Input(ids.DISTANCE, "value"),
    Input(ids.GAP_LEVEL, "value"),
    Input(ids.GAP_SORT, "value"),
    Input(shell_ids.ROUND, "value"),
)
def update_gaps(province, district, distance, level, sort, year):
    """The ranking's first rows and the download links of the same view."""
    lang, scope = current_lang(), current_scope()
    area, distance = _area(province, district), _distance(distance)
    level = level if level in (2, 3) and level > pcode_level(area) else 3
    sort = sort if sort in q.GAP_SORTS else "beyond"
    with scoped(scope) as conn:
        current = _round(list_rounds(conn), year)
        if current is None:
            raise PreventUpdate
        rows = q.coverage_by_area(conn, scope, current.round_id, level, area, distance, sort,
                                  limit=GAP_ROWS_SHOWN)
    note = (f"{_fmt(t('centres.gap.note', lang), d=distance)} · "
            f"{round_label(current.year_be, lang)}")
    return (cw.gap_table(rows, distance, lang, level), note,
            gap_href("csv", current.year_be, area, distance, level, sort),
            gap_href("xlsx", current.year_be, area, distance, level, sort))


def gap_href(fmt: str, year: int, area: str, distance: int, level: int, sort: str) -> str:
    """The gap ranking's download for this view (gaps_file)."""
    return (f"/export/centres/gaps.{fmt}?" + urlencode(
        {"round": year, "area": area, "d": distance, "level": level, "sort": sort}))


def _gap_view(args) -> tuple[Scope, Lang, str, int, int, str, Any]:
    scope, lang = current_scope(), current_lang()
    if PAGE not in flask.g.get("allowed_paths", frozenset()):
        with scoped(scope) as conn:
            record(conn, scope, "refused", flask.request.path,
                   {"page": PAGE, "reason": "export of a page this role may not open",
                    "method": flask.request.method})
        flask.abort(403)
    area = (args.get("area") or "TH").upper()
    if not AREA_RE.match(area):
        flask.abort(400, f"area={area}")
    distance = _distance(args.get("d"))
    try:
        level = int(args.get("level") or 3)
    except ValueError:
        flask.abort(400, "level")
    level = level if level in (2, 3) and level > pcode_level(area) else 3
    sort = args.get("sort") if args.get("sort") in q.GAP_SORTS else "beyond"
    return scope, lang, area, distance, level, sort, args.get("round")


def gaps_file(fmt: str):
    """Every area of the service-gap ranking for the page's view (not only the rows the
    page lists), with the page's columns; XLSX with the filters as people read them."""
    if fmt not in ("csv", "xlsx"):
        flask.abort(404)
    scope, lang, area, distance, level, sort, year = _gap_view(flask.request.args)
    with scoped(scope) as conn:
        rounds = list_rounds(conn)
        try:
            current = resolve_round(rounds, year)
        except ValueError as err:
            flask.abort(400, str(err))
        if current is None or area_level_invalid(conn, area):
            flask.abort(404)
        rows = q.coverage_by_area(conn, scope, current.round_id, level, area, distance, sort)
        info = q.refresh_info(conn)
        names = {a["pcode"]: a for a in area_names(conn, pcode_level(area), area[:-2] or None)} \
            if area != "TH" else {}
        record(conn, scope, "export", target=f"centres-gaps:{area}",
               details={"what": "gaps", "format": fmt, "round": current.year_be, "level": level,
                        "distance_km": distance, "sort": sort, "rows": len(rows)})
    place = pick(names[area]["name_th"], names[area]["name_en"], lang) if area in names \
        else t("shell.country", lang) if area == "TH" else area
    columns, body = cw.gap_columns(distance, lang, level), cw.gap_rows(rows, lang)
    if fmt == "csv":
        data = to_csv_bytes(columns, body)
    else:
        notes = [(t("centres.col.area", lang), place),
                 (t("shell.round", lang), round_label(current.year_be, lang)),
                 (t("centres.distance", lang), str(distance)),
                 (t("centres.gap.level", lang), t(f"centres.level.{level}", lang)),
                 (t("centres.gap.sort", lang), t(f"centres.gap.sort.{sort}", lang)),
                 (t("exports.data_date", lang),
                  fmt_datetime(info["refreshed_at"], lang) if info else "–"),
                 (t("source", lang), pick(current.source_th, current.source_en, lang)),
                 (t("source", lang), _fmt(t("centres.gap.note", lang), d=distance)),
                 (t("source", lang), t("centres.coverage_note", lang))]
        data = to_xlsx_bytes(columns, body, sheet_title=t("centres.gap.title", lang)[:31],
                             notes=notes)
    name = file_name(place, str(current.year_be), dl.word("gaps_file", lang), f"{distance}km",
                     ext=fmt)
    return send(data, fmt, name)


def map_href(fmt: str, year: int, area: str, distance: int, level: int, view: str,
             measure: str, statuses: Sequence[str] = DEFAULT_STATUSES,
             services: Sequence[str] = ()) -> str:
    """The map's picture for this view (map_file), with the centres the page shows."""
    return (f"/export/centres/map.{fmt}?" + urlencode(
        {"round": year, "area": area, "d": distance, "level": level, "view": view,
         "measure": measure, "status": ",".join(statuses) or "none",
         **({"services": ",".join(services)} if services else {})}))


def _listed(value: str | None, allowed: Sequence[str] | set[str]) -> list[str]:
    """A comma list from an address, keeping only the values `allowed`."""
    return [v for v in (value or "").split(",") if v in allowed]


def map_file(fmt: str):
    """The page's map (poverty or bivariate, the level and area shown) as PNG/SVG with
    title, legend, round, source and attribution; also the page's print image."""
    if fmt not in ("png", "svg"):
        flask.abort(404)
    scope, lang, area, distance, _lv, _sort, year = _gap_view(flask.request.args)
    try:
        level = int(flask.request.args.get("level") or _default_level(area))
    except ValueError:
        flask.abort(400, "level")
    if level not in (1, 2, 3) or level <= pcode_level(area):
        level = _default_level(area)
    view = flask.request.args.get("view") or "poverty"
    with scoped(scope) as conn:
        current = _round(list_rounds(conn), year)
        if current is None or area_level_invalid(conn, area):
            flask.abort(404)
        allowed = {m["measure"] for m in q.measure_options(conn)}
        measure = flask.request.args.get("measure")
        measure = measure if measure in allowed else "poor"
        if view == "bivariate":
            locations, z, (_h, _m, label), (classes, _legend) = _bivariate_layer(
                conn, scope, current.round_id, level, area, distance, lang)
            title = t("centres.map_title.bivariate", lang)
        else:
            locations, z, (_h, _m, label), (classes, _legend) = _poverty_layer(
                conn, scope, current.round_id, level, area, measure, distance, lang)
            title = _fmt(t("centres.map_title.poverty", lang),
                         measure=pick(*_measure_name(conn, measure), lang))
        frame = shapes_frame(conn, level, None if area == "TH" else area)
        args = flask.request.args
        statuses = _listed(args.get("status", ",".join(DEFAULT_STATUSES)), q.STATUSES)
        services = _listed(args.get("services"), set(q.service_names(conn)))
        centres = q.list_centres(conn, scope, area, statuses or ["none"], services or None)
        place = t("shell.country", lang) if area == "TH" else pick(
            get_area(conn, area)["name_th"], get_area(conn, area)["name_en"], lang)
        record(conn, scope, "export", target=f"centres-map:{area}",
               details={"what": "map", "format": fmt, "round": current.year_be, "view": view,
                        "level": level, "distance_km": distance,
                        "purpose": flask.request.args.get("purpose", "download")})
    colors = {p: (classes.colors[c] if c is not None and c >= 0 else None)
              for p, c in zip(locations, z, strict=True)}
    if view == "bivariate":
        legend = [LegendEntry(c, f"{i + 1}") for i, c in enumerate(classes.colors)]
    else:
        legend, lower = [], classes.lower
        for bound, color in zip(classes.bins, classes.colors, strict=True):
            legend.append(LegendEntry(color, f"{fmt_pct(lower)} – {fmt_pct(bound)}"))
            lower = bound
    legend.append(LegendEntry(NO_DATA_COLOR, _fmt(t("centres.legend.too_few", lang),
                                                  n=min_households())))
    legend += [LegendEntry(cw.STATUS_COLOURS[s], t(f"centres.status.{s}", lang), point=True)
               for s in statuses]
    when = round_label(current.year_be, lang)
    spec = MapSpec(colors, legend, title=f"{title} — {place}",
                   subtitle=f"{place} · {when} · {t(f'centres.level.{level}', lang)} · "
                            f"{_fmt(t('centres.gap.note', lang), d=distance)}",
                   legend_title=label,
                   source=f"{t('source', lang)}: {pick(current.source_th, current.source_en, lang)}",
                   attribution=ATTRIBUTION_TH if lang == "th" else ATTRIBUTION_EN, lang=lang,
                   points=[MapPoint(c["lon"], c["lat"], cw.STATUS_COLOURS[c["status"]])
                           for c in centres if c["lon"] is not None])
    image = render(frame, spec, fmt, dpi=150)
    return send(image, fmt, file_name(place, str(current.year_be), title, ext=fmt))


def register_routes(server) -> None:
    """The centres page's downloads: the guard lets exactly the page's roles fetch them."""
    auth.add_download(server, "/export/centres/gaps.<fmt>", "export_centres_gaps", gaps_file,
                      PAGE)
    auth.add_download(server, "/export/centres/map.<fmt>", "export_centres_map", map_file, PAGE)


# ── the planner (background) ─────────────────────────────────────────────────
def compute_plan(scope: Scope, lang: Lang, year: Any, area: str, distance: int, n_sites: int,
                 only_without: bool, progress=None) -> dict:
    """Run the greedy planner on aggregates and return a JSON-able result (counts only,
    suppressed for the scope)."""
    say = progress or (lambda *_a: None)
    started = time.perf_counter()
    say(5, t("centres.plan.step.load", lang))
    with scoped(scope) as conn:
        current = _round(list_rounds(conn), year)
        if current is None:
            return {"error": t("no_data", lang)}
        inputs = q.planner_inputs(conn, scope, current.round_id, distance, area, only_without)
        info = q.refresh_info(conn)
    say(30, t("centres.plan.step.sets", lang))

    def step(i: int, n: int) -> None:
        say(30 + int(70 * i / max(n, 1)), _fmt(t("centres.plan.step.choose", lang), i=i, n=n))

    plan = plan_sites(inputs.demand_lon, inputs.demand_lat, inputs.demand_poor,
                      inputs.site_lon, inputs.site_lat, distance * 1000.0, n_sites, step)
    total = inputs.poor_located
    sites = []
    for rank, s in enumerate(plan.sites, start=1):
        i = s.index
        sites.append({
            "rank": rank, "pcode": inputs.site_pcode[i],
            "name_th": inputs.site_names[i][0], "name_en": inputs.site_names[i][1],
            "district_th": inputs.site_parent[i][0], "district_en": inputs.site_parent[i][1],
            "lon": float(inputs.site_lon[i]), "lat": float(inputs.site_lat[i]),
            "gain": suppress(s.gain, scope), "cumulative": suppress(s.cumulative, scope),
            "coverage": (inputs.poor_within + s.cumulative) / total if total else None,
            "has_centre": bool(inputs.site_has_centre[i]),
        })
    return {
        "year": current.year_be, "area": area, "distance": distance, "n": n_sites,
        "only_without": only_without, "sites": sites,
        "before": suppress(inputs.poor_within, scope), "total": suppress(total, scope),
        "after": suppress(inputs.poor_within + plan.covered, scope),
        "added": suppress(plan.covered, scope),
        "share_before": inputs.poor_within / total if total else None,
        "share_after": (inputs.poor_within + plan.covered) / total if total else None,
        "demand_cells": len(inputs.demand_poor), "candidates": len(inputs.site_pcode),
        "seconds": round(time.perf_counter() - started, 2),
        "refreshed_at": info["refreshed_at"].isoformat() if info else None,
    }


@callback(
    Output(ids.PLAN_GO, "data"),
    Output(ids.PLAN_UNAVAILABLE, "children"),
    Input(ids.PLAN_RUN, "n_clicks"),
    prevent_initial_call=True,
)
def start_planner(n_clicks):
    """Start the planner only when a job can start; otherwise say so (the broker is
    down) and leave the rest of the page as it is."""
    if jobs_available():
        return n_clicks, None
    text = UNAVAILABLE_EN if current_lang() == "en" else UNAVAILABLE_TH
    return dash.no_update, message(text, "warning", ids.PLAN_JOBS_DOWN)


@callback(
    Output(ids.PLAN_STORE, "data"),
    Input(ids.PLAN_GO, "data"),
    State(shell_ids.ROUND, "value"),
    State(ids.PROVINCE, "value"),
    State(ids.DISTRICT, "value"),
    State(ids.DISTANCE, "value"),
    State(ids.PLAN_N, "value"),
    State(ids.PLAN_ONLY_WITHOUT, "value"),
    background=True,
    manager=PLANNER,
    running=[(Output(ids.PLAN_RUN, "disabled"), True, False),
             (Output(ids.PLAN_CANCEL, "disabled"), False, True),
             (Output(ids.PLAN_PROGRESS_BOX, "style"), {"display": "block"},
              {"display": "none"})],
    progress=[Output(ids.PLAN_PROGRESS, "value"), Output(ids.PLAN_PROGRESS, "label")],
    cancel=[Input(ids.PLAN_CANCEL, "n_clicks")],
    prevent_initial_call=True,
)
def run_planner(set_progress, _n, year, province, district, distance, n_sites, only_without):
    scope, lang = _job_identity()
    try:
        n_sites = min(max(int(n_sites or 1), 1), MAX_SITES)
    except (TypeError, ValueError):
        n_sites = 10
    try:
        return seal(compute_plan(scope, lang, year, _area(province, district),
                                 _distance(distance), n_sites, bool(only_without),
                                 progress=lambda pct, label: set_progress((pct, label))),
                    scope)
    except Exception:  # the page says so; the log has the trace
        import logging

        logging.getLogger("chipao.centres").exception("planner failed")
        return {"error": t("centres.plan.error", lang)}


@callback(
    Output(ids.PLAN_RESULT, "children"),
    Output(ids.PLAN_SITE, "options"),
    Output(ids.PLAN_SITE, "value"),
    Output(ids.PLAN_HOUSEHOLDS_BOX, "style"),
    Output(ids.PLAN_EXPORT, "style"),
    Input(ids.PLAN_STORE, "data"),
    prevent_initial_call=True,
)
def show_plan(plan: dict | None):
    lang, scope = current_lang(), current_scope()
    hidden = {"display": "none"}
    if not plan:
        raise PreventUpdate
    if plan.get("error"):
        return message(plan["error"], "danger", ids.PLAN_ERROR), [], None, hidden, hidden
    sites, d = plan["sites"], plan["distance"]
    if not sites:
        return message(t("centres.plan.none", lang), "info", ids.PLAN_NONE), [], None, \
            hidden, hidden
    summary = _fmt(t("centres.plan.summary", lang), d=d,
                   before=f"{fmt_int(plan['before'])} ({fmt_pct(plan['share_before'])})",
                   after=f"{fmt_int(plan['after'])} ({fmt_pct(plan['share_after'])})",
                   added=f"+{fmt_int(plan['added'])}")
    cards = dbc.Row([
        dbc.Col(kpi_card(t("centres.plan.before", lang), fmt_pct(plan["share_before"]),
                         f"{fmt_int(plan['before'])} / {fmt_int(plan['total'])}",
                         card_id=ids.PLAN_BEFORE), md=6),
        dbc.Col(kpi_card(_fmt(t("centres.plan.after", lang), n=len(sites)),
                         fmt_pct(plan["share_after"]),
                         f"{fmt_int(plan['after'])} / {fmt_int(plan['total'])}",
                         card_id=ids.PLAN_AFTER), md=6),
    ], className="g-3 mb-2")
    body = [cards, html.Div(summary, id=ids.PLAN_SUMMARY, className="mb-2")]
    if len(sites) < plan["n"]:
        body.append(message(_fmt(t("centres.plan.fewer", lang), k=len(sites)), "info",
                            ids.PLAN_FEWER))
    body += [cw.plan_table(sites, lang),
             html.Div(f"{t('centres.plan.note', lang)} · {round_label(plan['year'], lang)} · "
                      f"{plan['demand_cells']:,} / {plan['candidates']:,} · {plan['seconds']} s",
                      className="figure-note")]
    options = [{"label": f"{s['rank']}. {pick(s['name_th'], s['name_en'], lang)} ({s['pcode']})",
                "value": s["rank"]} for s in sites]
    box = {"display": "block"} if scope.may_see_records else {"display": "none"}
    return body, options, None, box, {"display": "block"}


@callback(
    Output(ids.PLAN_DOWNLOAD, "data"),
    Input(ids.PLAN_EXPORT_CSV, "n_clicks"),
    Input(ids.PLAN_EXPORT_XLSX, "n_clicks"),
    State(ids.PLAN_STORE, "data"),
    prevent_initial_call=True,
)
def export_plan(_csv, _xlsx, shown: dict | None):
    """The suggested sites as CSV or XLSX (chipao.exports, the project's one writer),
    with what they are, for which round, distance, area and data date; audited like
    every export. The result comes back from the browser, so only one this server
    sealed for this user is written (chipao.web.jobs.unseal): the file holds the
    figures the planner computed, exactly the table shown, and no browser's own."""
    if not shown:
        raise PreventUpdate
    lang, scope = current_lang(), current_scope()
    plan = unseal(shown, scope)
    if plan is None:
        with scoped(scope) as conn:
            record(conn, scope, "refused", "centres-plan-export",
                   {"page": PAGE, "reason": "planner result not sealed for this user"})
        raise PreventUpdate
    if not plan.get("sites"):
        raise PreventUpdate
    fmt = "xlsx" if ctx.triggered_id == ids.PLAN_EXPORT_XLSX else "csv"
    columns, rows, notes = cw.plan_export(plan, lang)
    with scoped(scope) as conn:
        record(conn, scope, "export", target=f"centres-plan:{plan.get('area')}",
               details={"what": "planner_sites", "format": fmt, "round": plan.get("year"),
                        "distance_km": plan.get("distance"), "rows": len(rows)})
    name = f"chipao-new-centres-{plan['area']}-{plan['year']}-{plan['distance']}km.{fmt}"
    if fmt == "xlsx":
        return dcc.send_bytes(to_xlsx_bytes(columns, rows, sheet_title=t(
            "centres.plan.title", lang), notes=notes), name)
    return dcc.send_bytes(to_csv_bytes(columns, rows), name)


clientside_callback(  # assets/55-downloads.js: print the server's picture of this very map
    ClientsideFunction("downloads", "printImage"),
    Output(ids.PRINT_SYNC, "data"),
    Input(ids.MAP_EXPORT_PNG, "href"),
    State(ids.PRINT_SYNC, "id"),
)


clientside_callback(  # assets/20-chipao.js: the view's area and distance in the address
    ClientsideFunction("chipao", "centresUrl"),
    Output(ids.SUBTITLE, "className"),
    Input(ids.PROVINCE, "value"),
    Input(ids.DISTRICT, "value"),
    Input(ids.DISTANCE, "value"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.PLAN_HOUSEHOLDS, "children"),
    Input(ids.PLAN_SITE, "value"),
    State(ids.PLAN_STORE, "data"),
    prevent_initial_call=True,
)
def show_households(rank: int | None, plan: dict | None):
    lang, scope = current_lang(), current_scope()
    if not rank or not plan or not plan.get("sites") or not scope.may_see_records:
        raise PreventUpdate
    sites = sorted(plan["sites"], key=lambda s: s["rank"])
    site = next((s for s in sites if s["rank"] == rank), None)
    if site is None:
        raise PreventUpdate
    earlier = [(s["lon"], s["lat"]) for s in sites if s["rank"] < rank]
    with scoped(scope) as conn:
        current = _round(list_rounds(conn), plan.get("year"))
        if current is None:
            raise PreventUpdate
        rows = q.households_newly_covered(conn, scope, current.round_id,
                                          (site["lon"], site["lat"]), earlier,
                                          _distance(plan.get("distance")),
                                          limit=HOUSEHOLD_LIST_LIMIT)
    if not rows:
        return html.Div(t("centres.plan.no_households", lang), id=ids.HOUSEHOLDS_NONE,
                        className="text-muted")
    return cw.households_table(rows, lang)

