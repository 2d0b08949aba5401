"""/plans — plan progress: the funnel from target households to leaving poverty, plan
horizons, agencies, the 9-step process, progress maps, targets with a projection, and
stalled work (areas for everyone; households for record roles, in their scope).

State in the URL (chipao/domain/planstate.py): ``/plans?level=2&area=TH50&measure=plan
&round=2566&days=30``. Every figure comes from the plan aggregates (queries/plans.py),
except the 9 steps (a table of ~9,000 rows) and the household list (live, personal,
through row-level security). Map clicks, the measure and the idle days navigate to a
new URL, so a shared link reproduces the view.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from time import perf_counter

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, callback, ctx, dcc, html

from chipao.domain.pcodes import pcode_level
from chipao.domain.plan_progress import (
    DEFAULT_PACE_MONTHS,
    add_months,
    cumulative,
    month_start,
    pace_per_month,
    project,
)
from chipao.domain.planstate import (
    MAX_DAYS,
    MEASURES,
    PlanParamError,
    PlanState,
    parse_state,
)
from chipao.domain.rates import min_households, too_few
from chipao.domain.scope import Scope
from chipao.web.session import current_scope, read_scoped
from components import choropleth as cm
from components import downloads as dl
from components import map_view as mv
from components import plan_widgets as pw
from components.cards import kpi_card, message, round_fallback_note, source_line
from components.i18n import (
    Lang,
    current_lang,
    fmt_date,
    fmt_datetime,
    fmt_int,
    fmt_month,
    fmt_pct,
    pick,
    round_label,
    t,
)
from components.theme import GRAPH_CONFIG
from geodata import static_map as sm
from geodata.serve import geometry_url, tile_sources
from pages import plans_ids as ids
from queries import plans
from queries.areas import ancestors, get_area
from queries.db import scoped
from queries.rounds import SurveyRound, choose_round, list_rounds

dash.register_page(__name__, path="/plans", name="plans", nav_key="nav.plans", order=3)
log = logging.getLogger("chipao.plans")

HOUSEHOLD_ROWS_SHOWN = 200
STALLED_AREAS_SHOWN = 50
EXPORT_MAX_ROWS = 100_000


def export_href(table: str, fmt: str, state: PlanState, **extra: str) -> str:
    """A download of what the page shows (pages/plans_exports.py), for this view."""
    query = state.query() + "".join(f"&{k}={v}" for k, v in extra.items())
    return f"/export/plans/{table}.{fmt}{query}"


def _table_links(table: str, state: PlanState, lang: Lang) -> html.Div:
    return dl.table_links(f"{ids.PREFIX}export-{table.replace('_', '-')}",
                          {fmt: export_href(table, fmt, state) for fmt in ("csv", "xlsx")}, lang)


def _chart_name(data: dict, what: str, lang: Lang) -> str:
    """A chart's file name (without extension): area, round, what it shows."""
    return sm.file_name(_area_name(data, lang), str(data["round"].year_be), what,
                        ext="x")[:-2]


def _href(state: PlanState, **changes) -> str:
    return "/plans" + replace(state, **changes).query()


def _area_href(state: PlanState):
    def href(pcode: str) -> str:
        level = pcode_level(pcode)
        nxt = state.drill(pcode) if level < 3 else PlanState(
            level=3, area=pcode[:6], sel=pcode, measure=state.measure, round=state.round,
            days=state.days)
        return "/plans" + nxt.query()
    return href


def _household_href(state: PlanState):
    def href(house_id: str) -> str:
        return f"/plans/household?house={house_id}" + (f"&round={state.round}" if state.round else "")
    return href


def _shown_round(conn, state: PlanState) -> SurveyRound | None:
    """The round the page shows for `state` (the rule of queries/rounds.py)."""
    choice = choose_round(list_rounds(conn), state.round, plans.rounds_with_plans(conn))
    return choice.shown if choice else None


# ── loading (one transaction, aggregates only, except the household list) ──
def load_data(conn, scope: Scope, state: PlanState, lang: Lang) -> dict | str:
    rounds = list_rounds(conn)
    try:
        choice = choose_round(rounds, state.round, plans.rounds_with_plans(conn))
    except ValueError as err:
        return f"{t('error.bad_param', lang)}: {err}"
    if choice is None:
        return t("no_data", lang)
    current = choice.shown
    focus = state.focus
    area = get_area(conn, focus) if focus != "TH" else None
    if focus != "TH" and area is None:
        return f"{t('error.bad_param', lang)}: area={focus}"
    frame = get_area(conn, state.area) if state.area else None
    refresh = plans.refresh_state(conn, focus)
    as_of = refresh["as_of"] if refresh else plans.bangkok_today()
    rid = current.round_id
    data: dict = {
        "round": current, "choice": choice, "rounds": rounds, "focus": focus, "area": area, "refresh": refresh,
        "as_of": as_of, "frame": frame,
        "trail": ancestors(conn, focus, include_self=True) if focus != "TH" else [],
        "funnel": plans.funnel(conn, scope, rid, focus),
        "horizons": plans.horizons(conn, scope, rid, focus),
        "matrix": plans.agency_matrix(conn, scope, rid, focus),
        "catalogue": plans.catalogue(conn),
        "map_rows": plans.area_values(conn, scope, rid, state.level, state.area),
        "stalled_areas": plans.stalled_areas(conn, scope, rid, state.level, state.area,
                                             state.days, limit=STALLED_AREAS_SHOWN),
        "stalled_total": plans.stalled_totals(conn, scope, rid, focus, state.days),
    }
    # the 9 steps: provinces of the country, or the districts of the focus's province
    province = focus[:4] if focus != "TH" else None
    data["steps_level"] = 2 if province else 1
    data["steps_areas"] = plans.steps_by_area(conn, scope, data["steps_level"], province)
    data["province_steps"] = plans.area_steps(conn, scope, province) if province else None
    data["province_area"] = (area if focus == province else get_area(conn, province)) \
        if province else None
    data["district_steps"] = plans.area_steps(conn, scope, focus[:6]) if len(focus) >= 6 else None
    data["targets"] = plans.targets(conn, scope)
    pace_area = focus if len(focus) <= 6 else focus[:6]
    data["pace_area"] = pace_area
    data["monthly"] = plans.monthly(conn, scope, pace_area)
    data["province_monthly"] = {}
    if focus == "TH":  # every province's pace for the projection column
        data["province_monthly"] = {r["pcode"]: plans.monthly(conn, scope, r["pcode"])
                                    for r in data["targets"] if r["level"] == 1}
    data["households"] = None
    return data


def load_households(conn, scope: Scope, state: PlanState, data: dict) -> None:
    """The stalled households (personal data): read and audited in one transaction on
    the primary (an audit row cannot be written on a replica)."""
    current = data["round"]
    rows = plans.stalled_households(conn, scope, current.round_id, data["focus"], state.days,
                                    data["as_of"], limit=HOUSEHOLD_ROWS_SHOWN)
    plans.record_export(conn, scope, "view", {
        "area": data["focus"], "round": current.year_be, "days": state.days,
        "rows": len(rows)}, ip=_ip())
    data["households"] = rows


def _ip() -> str | None:
    try:
        return flask.request.remote_addr
    except RuntimeError:
        return None


# ── rendering ────────────────────────────────────────────────────────────────
def _as_of_line(data: dict, lang: Lang) -> str:
    r = data["refresh"]
    if r is None:
        return t("plans.never_refreshed", lang)
    return t("plans.as_of", lang).format(date=fmt_date(r["as_of"], lang),
                                         at=fmt_datetime(r["refreshed_at"], lang))


def _graph(graph_id: str, figure: dict, data: dict | None = None, lang: Lang = "th",
           what: str = "") -> list:
    """A chart whose box is as tall as its figure (a responsive graph otherwise takes
    its container's default height and the notes below it overlap the chart), with
    round and source inside the figure (so its PNG/SVG says them) and its downloads,
    named after what it shows."""
    if data is None:
        return [dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG,
                          style={"height": f"{figure['layout']['height']}px"})]
    name = _chart_name(data, what, lang)
    stamp = (f"{round_label(data['round'].year_be, lang)} · "
             f"{t('plans.as_of_short', lang).format(date=fmt_date(data['as_of'], lang))} · "
             f"{t('source', lang)}: {t('plans.source', lang)}")
    figure = pw.with_source(figure, stamp)
    config = {**GRAPH_CONFIG, "toImageButtonOptions": {"format": "png", "filename": name,
                                                       "scale": 2}}
    return [dcc.Graph(id=graph_id, figure=figure, config=config,
                      style={"height": f"{figure['layout']['height']}px"}),
            dl.chart_links(graph_id, name, lang)]


def _caption(what: str, data: dict, lang: Lang, with_round: bool = True) -> html.Div:
    parts = [what]
    if with_round:
        parts.append(round_label(data["round"].year_be, lang))
    parts.append(t("plans.as_of_short", lang).format(date=fmt_date(data["as_of"], lang)))
    return html.Div([html.Div(" · ".join(parts), className="figure-note"),
                     source_line(t("source", lang), t("plans.source", lang))])


def _area_name(data: dict, lang: Lang) -> str:
    a = data["area"]
    return t("shell.country", lang) if a is None else pick(a["name_th"], a["name_en"], lang)


def _breadcrumb(state: PlanState, data: dict, lang: Lang) -> html.Nav:
    items = [dcc.Link(t("shell.country", lang), href=_href(state.up_to(None)))]
    for a in data["trail"]:
        target = state.up_to(a["pcode"]) if a["level"] < 3 else PlanState(
            level=3, area=a["pcode"][:6], sel=a["pcode"], measure=state.measure,
            round=state.round, days=state.days)
        items += [html.Span(" › "), dcc.Link(pick(a["name_th"], a["name_en"], lang),
                                              href="/plans" + target.query())]
    return html.Nav(items, className="mb-2", id=ids.BREADCRUMB, **{"aria-label": "breadcrumb"})


def _funnel_section(state: PlanState, data: dict, lang: Lang) -> dbc.Row:
    f = data["funnel"]
    nxt = [r for r in data["rounds"] if r.year_be > data["round"].year_be]
    stages = [(t(f"plans.stage.{s}", lang), f[s]) for s in plans.FUNNEL_STAGES]
    year = data["round"].year_be
    title = f"{t('plans.funnel', lang)} — {_area_name(data, lang)}, {round_label(year, lang)}"
    fig = pw.funnel_figure(stages, title, lang)
    target = f["target"]
    active, done = f["items_active"], f["items_done"]
    cards = [
        kpi_card(t("plans.stage.target", lang), pw._count(target, lang),
                 t("plans.kpi.target_detail", lang), card_id=ids.KPI_TARGET),
        kpi_card(t("plans.stage.with_plan", lang), pw._count(f["with_plan"], lang),
                 fmt_pct(f["with_plan"] / target if target and f["with_plan"] is not None else None)
                 + " " + t("plans.of_target", lang), card_id=ids.KPI_WITH_PLAN),
        kpi_card(t("plans.kpi.items_done", lang), fmt_pct(done / active if active and done is not None else None),
                 f"{pw._count(done, lang)} / {pw._count(active, lang)} {t('plans.kpi.items', lang)}",
                 card_id=ids.KPI_ITEMS_DONE),
        kpi_card(t("plans.col.overdue", lang), pw._count(f["items_overdue"], lang),
                 t("plans.kpi.overdue_detail", lang), card_id=ids.KPI_OVERDUE),
    ]
    left_note = (t("plans.left_poverty_note", lang).format(
        now=round_label(year, lang), next=round_label(nxt[0].year_be, lang))
        if nxt else t("plans.left_poverty_none", lang))
    return dbc.Row([
        dbc.Col([*_graph(ids.FUNNEL, fig, data, lang, t("plans.funnel", lang)),
                 html.Div(t("plans.funnel_note", lang), className="figure-note"),
                 html.Div(left_note, className="figure-note"),
                 _caption(t("plans.funnel_counts", lang), data, lang),
                 _table_links("funnel", state, lang)], lg=7),
        dbc.Col(dbc.Row([dbc.Col(c, sm=6, className="mb-3") for c in cards], className="g-3"),
                lg=5),
    ], className="g-3 mb-3")


def _n(n: int | None) -> int | str:
    """A count for hover data: the number itself, or the suppression mark."""
    return pw.suppressed_mark() if n is None else n


def _map_values(state: PlanState, data: dict, lang: Lang):
    """P-codes, class indexes, the share (with its counts) and the overdue items of
    every drawn area, for the map component's hover."""
    num_key, den_key = MEASURES[state.measure]
    minimum = min_households()
    locations, values, few, texts, more = [], [], [], [], []
    overdue = t("plans.col.overdue", lang)
    for r in data["map_rows"]:
        num, den = r[num_key], r[den_key]
        share = num / den if num is not None and den else None
        locations.append(r["pcode"])
        values.append(share)
        few.append(too_few(den, minimum))
        texts.append(f"{fmt_pct(share)} ({_count(num)} / {_count(den)})")
        more.append(f"{overdue}: {_count(r['items_overdue'])}")
    classes = cm.classify([v for v, f_ in zip(values, few, strict=True) if not f_ and v is not None])
    z = cm.class_index(values, classes, few)
    return locations, z, texts, more, classes, minimum


def _count(n: int | None) -> str:
    return fmt_int(_n(n)) if n is not None else str(_n(n))


def _map(map_id: str, level: int, parent: str | None, locations: list[str], z: list,
         texts: list[str], classes: cm.Classes, bounds, height: int, label: str, lang: Lang,
         selected: str | None = None, more: list[str] | None = None, legend=None,
         legend_id: str | None = None, print_src: str | None = None):
    """One of the page's maps: the map component with its geometry URL and values."""
    geometry = geometry_url(level, parent)
    spec = mv.map_spec(geometry, locations, level=level, bounds=bounds, measure_label=label,
                       rank_label=t("map.rank", lang), lang=lang, **tile_sources(level, parent))
    values = mv.map_values(geometry, f"{map_id}:{level}:{parent}:{label}", z, classes.colors,
                           texts, selected=selected, label=label, more=more)
    return mv.map_view(map_id, label=t("map.aria", lang).replace("{what}", label),
                       keys_help=t("map.keys", lang), height=height, spec=spec, values=values,
                       legend=legend, legend_id=legend_id, print_src=print_src)


def _bounds(area: dict | None):
    return (area["xmin"], area["ymin"], area["xmax"], area["ymax"]) if area else None


def _map_section(state: PlanState, data: dict, lang: Lang) -> dbc.Row:
    locations, z, texts, more, classes, minimum = _map_values(state, data, lang)
    label = t(f"plans.measure.{state.measure}", lang)
    legend = cm.legend(classes, lambda v: fmt_pct(v, 0), label,
                       insufficient_label=t("plans.too_few", lang).format(n=minimum),
                       legend_id=ids.MAP_LEGEND)
    level_name = t(f"plans.level.{state.level}", lang)
    return dbc.Row([
        dbc.Col([
            dbc.RadioItems(id=ids.MEASURE, inline=True, value=state.measure,
                           options=[{"label": t(f"plans.measure.{m}", lang), "value": m}
                                    for m in MEASURES], className="mb-2"),
            _map(ids.MAP, state.level, state.area, locations, z, texts, classes,
                 _bounds(data["frame"]), 520, label, lang, state.sel, more, legend,
                 legend_id=ids.MAP_LEGEND_BOX,
                 print_src=export_href("map", "png", state, purpose="print")),
            dl.table_links(ids.EXPORT_MAP, {fmt: export_href("map", fmt, state)
                                                for fmt in ("png", "svg")}, lang),
            html.Div(t("plans.map_hint", lang), className="figure-note plans-map-hint"),
            _caption(f"{label} — {level_name}", data, lang),
        ], lg=9),
        dbc.Col([html.Div(t(f"plans.measure_note.{state.measure}", lang),
                          className="figure-note mt-2")], lg=3),
    ], className="g-3 mb-3 plans-map-section")


def _horizon_section(state: PlanState, data: dict, lang: Lang) -> dbc.Row:
    title = f"{t('plans.horizons', lang)} — {_area_name(data, lang)}"
    return dbc.Row([
        dbc.Col(_graph(ids.HORIZONS, pw.horizon_figure(data["horizons"], title, lang),
                       data, lang, t("plans.horizons", lang)), lg=7),
        dbc.Col([pw.horizon_table(data["horizons"], lang),
                 html.Div(t("plans.horizon_note", lang), className="figure-note"),
                 _table_links("horizons", state, lang)], lg=5),
        dbc.Col(_caption(t("plans.items_counts", lang), data, lang), width=12),
    ], className="g-3 mb-3")


def _agency_section(state: PlanState, data: dict, lang: Lang) -> dbc.Row:
    cat = data["catalogue"]
    top = plans.most_unmet_agency(data["matrix"])
    names = {a["code"]: a for a in cat["agencies"]}
    if top:
        a = names.get(top["agency_code"], {"name_th": top["agency_code"], "name_en": top["agency_code"]})
        unmet = kpi_card(t("plans.most_unmet", lang), pick(a["name_th"], a["name_en"], lang),
                         t("plans.most_unmet_detail", lang).format(
                             open=fmt_int(top["open"]), overdue=fmt_int(top["overdue"])),
                         t("plans.most_unmet_note", lang), card_id=ids.MOST_UNMET)
    else:
        unmet = kpi_card(t("plans.most_unmet", lang), "–", t("plans.nothing_open", lang),
                         card_id=ids.MOST_UNMET)
    unmet.className = "kpi-card"  # not h-100: the agency table follows it in the column
    title = f"{t('plans.agencies', lang)} — {_area_name(data, lang)}"
    return dbc.Row([
        dbc.Col([*_graph(ids.AGENCY_MATRIX, pw.agency_heatmap(
                     data["matrix"], cat["agencies"], cat["categories"], title, lang),
                     data, lang, t("plans.agencies", lang)),
                 _table_links("agency_matrix", state, lang)], lg=8),
        dbc.Col([unmet, html.Div(pw.agency_totals_table(data["matrix"], cat["agencies"], lang),
                                 className="mt-3"),
                 _table_links("agencies", state, lang)], lg=4),
        dbc.Col(_caption(t("plans.agency_counts", lang), data, lang), width=12),
    ], className="g-3 mb-3")


def _steps_section(state: PlanState, data: dict, lang: Lang) -> dbc.Row:
    steps = data["catalogue"]["steps"]
    areas = data["steps_areas"]
    level = data["steps_level"]
    parent = data["focus"][:4] if level == 2 else None
    z = [a["highest_done"] for a in areas]
    classes = cm.Classes(bins=[float(i) for i in range(1, 10)], colors=pw.STEP_COLORS, lower=0.0)
    hover = [str(a["highest_done"]) for a in areas]
    # class −1 (grey) = no step done yet
    zi = [int(v) - 1 if v > 0 else cm.INSUFFICIENT for v in z]
    province = data["trail"][0] if data["trail"] else None
    mark = data["focus"][:4] if level == 1 else data["focus"][:6]
    steps_map = _map(ids.STEPS_MAP, level, parent, [a["pcode"] for a in areas], zi, hover,
                     classes, _bounds(data["province_area"]) if level == 2 else None, 440,
                     t("plans.col.highest_step", lang), lang,
                     mark if province and len(data["focus"]) >= 2 + 2 * level else None,
                     print_src=export_href("map", "png", state, map="steps", purpose="print"))
    detail = []
    if data["province_steps"]:
        detail += [html.H3(t("plans.steps_of", lang).format(area=pick(
            data["trail"][0]["name_th"], data["trail"][0]["name_en"], lang)), className="h6"),
            pw.area_steps_table(data["province_steps"], lang)]
    if data["district_steps"] and len(data["trail"]) > 1:
        table = pw.area_steps_table(data["district_steps"], lang)
        table.id = ids.STEPS_DISTRICT
        detail += [html.H3(t("plans.steps_of", lang).format(area=pick(
            data["trail"][1]["name_th"], data["trail"][1]["name_en"], lang)), className="h6"),
            table]
    return dbc.Row([
        dbc.Col([steps_map], lg=5),
        dbc.Col([pw.steps_legend(steps, lang)], lg=2),
        dbc.Col(detail or [html.Div(t("plans.steps_pick", lang), className="text-muted")], lg=5),
        dbc.Col([html.Div(_graph(ids.STEPS_MATRIX, pw.steps_matrix_figure(
                                        areas, steps, t("plans.steps_matrix", lang), lang),
                                 data, lang, dl.word("steps_file", lang)),
                          style={"maxHeight": "520px", "overflowY": "auto"},
                          className="plans-steps-scroll"),
                 _table_links("steps", state, lang),
                 html.Div(t("plans.steps_note", lang), className="figure-note"),
                 source_line(t("source", lang), t("plans.steps_source", lang))], width=12),
    ], className="g-3 mb-3")


def _projection_text(p, lang: Lang) -> str:
    if p.target is None:
        return t("plans.no_target", lang)
    if p.reached_already:
        return t("plans.reached", lang)
    if p.too_far:
        return t("plans.too_far", lang)
    if p.eta is None:
        return t("plans.no_pace", lang)
    return fmt_month(p.eta, lang)


def targets_shown(data: dict, lang: Lang) -> list[dict]:
    """The rows of the targets table (the focus's province, or the country and every
    province with a target), each with its projection text (`eta_text`) where known."""
    as_of = data["as_of"]
    rows = data["targets"]
    focus = data["focus"]
    province = focus[:4] if focus != "TH" else None
    shown = [r for r in rows if r["level"] == 0] if province is None else \
        [r for r in rows if r["pcode"] == province]
    if province is None:
        shown += sorted([r for r in rows if r["level"] == 1 and r["target_households"]],
                        key=lambda r: -(r["target_households"] or 0))
    for r in shown:
        monthly = data["monthly"] if r["pcode"] == data["pace_area"] else \
            data["province_monthly"].get(r["pcode"], [])
        if r["pcode"] == data["pace_area"] or r["pcode"] in data["province_monthly"]:
            pace = pace_per_month(monthly, "first_plans", as_of)
            r["eta_text"] = _projection_text(project(r["target_households"], r["with_plan"] or 0,
                                                     pace, as_of), lang)
    return shown


def _targets_section(state: PlanState, data: dict, lang: Lang) -> dbc.Row:
    as_of = data["as_of"]
    rows = data["targets"]
    focus = data["focus"]
    province = focus[:4] if focus != "TH" else None
    shown = targets_shown(data, lang)
    # the chart: the focus (country, province or district) — targets exist per province
    target_row = next((r for r in rows if r["pcode"] == (province or "TH")), None)
    target = target_row["target_households"] if target_row and len(data["pace_area"]) <= 4 else None
    visits = cumulative(data["monthly"], "first_visits")
    plans_cum = cumulative(data["monthly"], "first_plans")
    pace = pace_per_month(data["monthly"], "first_plans", as_of)
    reached = plans_cum[-1][1] if plans_cum else 0
    p = project(target, reached, pace, as_of)
    projection_line = None
    if target and p.eta and not p.reached_already:
        start = month_start(as_of)
        months = max(1, (p.eta.year - start.year) * 12 + p.eta.month - start.month)
        step = max(1, months // 24)
        projection_line = [(add_months(start, k), min(target, round(reached + pace * k)))
                           for k in range(0, months + step, step)]
    pace_name = t("shell.country", lang) if data["pace_area"] == "TH" else next(
        (pick(a["name_th"], a["name_en"], lang) for a in data["trail"]
         if a["pcode"] == data["pace_area"]), data["pace_area"])
    fig = pw.pace_figure(visits, plans_cum, target, projection_line,
                         f"{t('plans.pace_title', lang)} — {pace_name}", lang)
    summary = t("plans.projection_text", lang).format(
        pace=fmt_int(pace), months=DEFAULT_PACE_MONTHS, eta=_projection_text(p, lang),
        remaining=fmt_int(p.remaining) if p.remaining is not None else "–")
    return dbc.Row([
        dbc.Col([html.Div(pw.targets_table(shown, lang, _area_href(state)),
                          style={"maxHeight": "520px", "overflowY": "auto"},
                          className="plans-targets-scroll"),
                 _table_links("targets", state, lang)], lg=6),
        dbc.Col([*_graph(ids.PACE, fig, data, lang, t("plans.pace_title", lang)),
                 html.Div(summary, className="kpi-detail", id=ids.PROJECTION)], lg=6),
        dbc.Col([html.Div(t("plans.pace_note", lang).format(months=DEFAULT_PACE_MONTHS),
                          className="figure-note"),
                 html.Div(t("plans.targets_note", lang), className="figure-note"),
                 html.Div(t("plans.as_of_short", lang).format(date=fmt_date(as_of, lang)),
                          className="figure-note"),
                 source_line(t("source", lang), t("plans.targets_source", lang))], width=12),
    ], className="g-3 mb-3")


def _stalled_section(state: PlanState, scope: Scope, data: dict, lang: Lang) -> html.Div:
    total = data["stalled_total"]
    head = t("plans.stalled_summary", lang).format(
        households=pw._count(total["households"], lang), items=pw._count(total["items"], lang),
        days=state.days, area=_area_name(data, lang))
    parts = [
        dbc.Row([
            dbc.Col([dbc.Label(t("plans.days_label", lang), html_for=ids.DAYS),
                     dcc.Input(id=ids.DAYS, type="number", min=1, max=MAX_DAYS, step=1,
                               value=state.days, debounce=True, className="form-control")],
                    md=3),
            dbc.Col(html.Div(head, className="kpi-detail mt-4", id=ids.STALLED_SUMMARY),
                    md=9),
        ], className="g-2 mb-2"),
        html.H3(t("plans.stalled_areas", lang).format(level=t(f"plans.level.{state.level}", lang)),
                className="h6"),
        pw.stalled_areas_table(data["stalled_areas"], lang, _area_href(state),
                               limit=STALLED_AREAS_SHOWN),
        _table_links("stalled_areas", state, lang),
    ]
    if data["households"] is not None:
        rows = data["households"]
        parts += [
            html.H3(t("plans.stalled_households", lang), className="h6 mt-2"),
            html.Div(t("plans.households_note", lang).format(n=HOUSEHOLD_ROWS_SHOWN),
                     className="figure-note"),
            pw.stalled_households_table(rows, lang, _household_href(state)),
            _table_links("stalled_households", state, lang),
        ]
    else:
        parts.append(html.Div(t("plans.households_records_only", lang), className="figure-note"))
    parts.append(_caption(t("plans.stalled_counts", lang).format(days=state.days), data, lang))
    return html.Div(parts, className="mb-4")


def _stamp(state: PlanState, data: dict, lang: Lang) -> str:
    """The filter and source line of every printed page."""
    return " · ".join([
        _area_name(data, lang), round_label(data["round"].year_be, lang),
        t(f"plans.measure.{state.measure}", lang), t(f"plans.level.{state.level}", lang),
        f"{t('plans.days_label', lang)} {state.days}",
        t("plans.as_of_short", lang).format(date=fmt_date(data["as_of"], lang)),
        f"{t('source', lang)}: {t('plans.source', lang)}", t("attribution", lang)])


def _definitions(lang: Lang) -> html.Details:
    return html.Details([html.Summary(t("plans.definitions", lang)),
                         html.Ul([html.Li(t(f"plans.def.{k}", lang)) for k in (
                             "period", "funnel", "overdue", "idle", "refresh", "suppressed")])],
                        className="figure-note mb-4", id=ids.DEFINITIONS)


def page_state(query, scope: Scope) -> PlanState:
    """The view a query asks for (without an area: a committee's or officer's own);
    PlanParamError when it is not one."""
    query = dict(query)
    if "area" not in query and scope.home_area:
        query["area"] = scope.home_area
    return parse_state(query)


def layout(**query) -> html.Div:
    started = perf_counter()
    lang = current_lang()
    scope = current_scope()
    try:
        state = page_state(query, scope)
    except PlanParamError as err:
        return message(f"{t('error.bad_param', lang)}: "
                       + "; ".join(th if lang == "th" else en for th, en in err.problems), "danger")
    # aggregates and this user's pending updates: a replica, unless it has not yet
    # replayed the user's own last save (then the primary: no stale status)
    with read_scoped(scope) as conn:
        data = load_data(conn, scope, state, lang)
    if not isinstance(data, str) and scope.may_see_records:
        with scoped(scope) as conn:
            load_households(conn, scope, state, data)
    if isinstance(data, str):
        return message(data, "warning")
    # `state` keeps the round the user asked for (none: the latest), so links and the
    # header's selector stay on it when the page falls back (queries/rounds.py)
    pending = data["refresh"]["pending_updates"] if data["refresh"] else 0
    header = [
        html.H1(t("plans.title", lang), className="page-title"),
        _breadcrumb(state, data, lang),
        html.Div(f"{_area_name(data, lang)} · {round_label(data['round'].year_be, lang)} · "
                 f"{_as_of_line(data, lang)}", className="page-subtitle", id=ids.AS_OF),
        round_fallback_note(data["choice"].asked.year_be, data["choice"].shown.year_be,
                            t("round.what.plans", lang), lang, ids.ROUND_NOTE),
        dl.present_link("/plans" + state.query() + "&present=1", ids.PRESENT, lang),
    ]
    if pending:
        header.append(dbc.Alert(t("plans.pending", lang).format(n=pending), color="info",
                                className="py-1 small", id=ids.PENDING))
    page = html.Div([
        dcc.Location(id=ids.NAV, refresh="callback-nav"),
        dcc.Store(id=ids.STATE, data=state.params()),
        *header,
        html.H2(t("plans.funnel", lang), className="h5 mt-3"),
        _funnel_section(state, data, lang),
        html.H2(t("plans.map_title", lang), className="h5 plans-map-heading"),
        _map_section(state, data, lang),
        html.H2(t("plans.horizons", lang), className="h5"),
        _horizon_section(state, data, lang),
        html.H2(t("plans.agencies", lang), className="h5"),
        _agency_section(state, data, lang),
        html.H2(t("plans.steps", lang), className="h5"),
        _steps_section(state, data, lang),
        html.H2(t("plans.targets_title", lang), className="h5"),
        _targets_section(state, data, lang),
        html.H2(t("plans.stalled", lang), className="h5"),
        _stalled_section(state, scope, data, lang),
        _definitions(lang),
        dl.page_stamp(_stamp(state, data, lang), ids.PRINT_STAMP),
    ], id=ids.PAGE)
    log.debug("plans page %s in %.0f ms", state.query(), (perf_counter() - started) * 1000)
    return page


# ── callbacks ────────────────────────────────────────────────────────────────
def _state(data: dict | None) -> PlanState:
    try:
        return parse_state(data or {})
    except PlanParamError:
        return PlanState()


@callback(
    Output(ids.NAV, "search"),
    Input(mv.event_id(ids.MAP), "data"),
    Input(mv.event_id(ids.STEPS_MAP), "data"),
    Input(ids.MEASURE, "value"),
    Input(ids.DAYS, "value"),
    State(ids.STATE, "data"),
    prevent_initial_call=True,
)
def navigate(map_click, steps_click, measure, days, data):
    """Every change of view is a new URL (drill-down, measure, idle days)."""
    state = _state(data)
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):  # an area picked on one of the maps (map component)
        steps = trigger.get("map") == ids.STEPS_MAP
        pcode = ((steps_click if steps else map_click) or {}).get("pcode")
        if not isinstance(pcode, str) or not pcode:
            return dash.no_update
        nxt = state.up_to(pcode) if steps else state.drill(pcode)
    elif trigger == ids.MEASURE and measure in MEASURES:
        nxt = replace(state, measure=measure)
    elif trigger == ids.DAYS and isinstance(days, int | float) and 1 <= days <= MAX_DAYS:
        nxt = replace(state, days=int(days))
    else:
        return dash.no_update
    return dash.no_update if nxt == state else nxt.query()
