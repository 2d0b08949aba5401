"""/map — the multidimensional poverty map: choropleths of provinces, districts of a
province, tambons of a district or all 7,425 tambons, with drill-down, a ranking, the
selected area's profile and change between rounds.

The URL is the state (chipao/domain/mapstate.py). The page is drawn once from it; every
later change — a control, a click, a breadcrumb link, the round selector, the back
button — goes through one callback that reads the URL (``shell-url``), writes the new
one, and sends only values (the map component's values store, applied as
feature-state) while the geometry stays the same. The geometry itself is a URL the
browser fetches once per level and subtree (geodata/serve.py, components/map_view.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import NamedTuple
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
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

from chipao.domain.mapstate import (
    MEASURES,
    RATES,
    VILLAGE_LEVEL,
    MapParamError,
    MapState,
    check_against,
    home_params,
    parse_k,
    parse_state,
)
from chipao.domain.pcodes import pcode_level
from chipao.domain.rates import min_households
from chipao.domain.scope import Scope
from chipao.settings import current as current_settings
from chipao.web.cache import cached
from chipao.web.session import current_scope, read_scoped
from components import choropleth as cp
from components import map_view as mv
from components import shell_ids
from components import trend as tr
from components.formatting import fmt_value, format_k, legend_formatter
from components.i18n import (
    GRID_HEADERS,
    Lang,
    current_lang,
    fmt_int,
    fmt_pct,
    fmt_suppressed,
    grid_number,
    pick,
    round_label,
    t,
)
from components.loading import busy
from components.map_controls import (
    compare_options,
    controls,
    definition,
    figure_title,
    level_options,
)
from components.meeting import print_stamp, toolbar
from geodata.serve import geometry_url as geodata_url
from geodata.serve import tile_sources
from geodata.village_tiles import tile_url as village_tile_url
from geodata.village_tiles import village_figures
from pages import map_exports_ids as ex_ids
from pages import map_ids as ids
from queries import mpi, trend, villages
from queries.areas import ancestors
from queries.rounds import SurveyRound, list_rounds, previous_round, resolve_round
from queries.suppression import threshold as suppression_threshold
from queries.versions import data_versions

log = logging.getLogger("chipao.map")

dash.register_page(__name__, path="/map", name="map", nav_key="nav.map", order=1,
                   title="ชี้เป้า Chipao — แผนที่ความยากจน")

MAP_HEIGHT = 600
MAP_ID = ids.VIEW
# pattern-matching ids of the map component's stores, by the short names used below
_COMPONENT_IDS = {ids.SPEC: mv.spec_id(MAP_ID), ids.VALUES: mv.values_id(MAP_ID)}
RANKING_ALL_LIMIT = 100  # above this many peers the table shows the top and bottom only
RANKING_EDGE = 25
RANKING_UNRANKED = 50  # unranked areas listed after the ranked ones (the rest counted)
ROUTER_SEARCH = "_pages_location.search"

# The callback's outputs, in order; compute_view returns a dict with these keys.
OUTPUTS = [
    (shell_ids.URL, "search"), (ids.SHOWN, "data"), (ids.SPEC, "data"),
    (ids.VALUES, "data"), (ids.GEOMETRY, "data"),
    (ids.MESSAGE, "children"), (ids.BODY, "style"), (ids.CAPTION, "children"),
    (ids.NOTE, "children"), (ids.LEGEND_BOX, "children"), (ids.BREADCRUMB, "children"),
    (ids.RANKING, "rowData"), (ids.RANKING, "columnDefs"), (ids.RANKING_TITLE, "children"),
    (ids.PANEL, "children"), (ids.CONTROLS_SHOWN, "data"), (ids.SUBJECT, "disabled"),
    (ids.K, "disabled"), (ids.LEVEL, "options"), (ids.COMPARE, "options"),
]
# The controls the view's callback reads; it never writes their values (see
# chipao.controlsOfView), so a control changed while an answer is on its way is kept.
CONTROL_IDS = (ids.SUBJECT, ids.MEASURE, ids.K, ids.LEVEL, ids.CLASSES, ids.COMPARE)


# ── the view for one state ───────────────────────────────────────────────────
def _message(problems: list[tuple[str, str]], lang: Lang, color: str = "danger") -> dbc.Alert:
    heading = t("map.bad_params", lang)
    items = [html.Li(pick(th, en, lang)) for th, en in problems]
    return dbc.Alert([html.Div(heading, className="fw-bold"), html.Ul(items, className="mb-0")],
                     color=color, id=ids.ERROR, className="my-2")


def _round_for(rounds: list[SurveyRound], year: int | None) -> SurveyRound:
    """The page's round (the state was checked against the stored rounds)."""
    return resolve_round(rounds, year)


def _breadcrumb(state: MapState, trail: list[dict], lang: Lang) -> list:
    crumbs: list = []
    entries = [{"pcode": "TH", "name_th": t("shell.country", "th"),
                "name_en": t("shell.country", "en")}, *trail]
    for n, entry in enumerate(entries):
        name = pick(entry["name_th"], entry["name_en"], lang)
        last = n == len(entries) - 1
        if last:
            crumbs.append(html.Span(name, className="map-crumb-current", **{"aria-current": "page"}))
        else:
            href = "/map" + state.up_to(entry["pcode"]).query()
            crumbs.append(dcc.Link(name, href=href, className="map-crumb"))
            crumbs.append(html.Span(" › ", className="map-crumb-sep"))
    return crumbs


def _hover_label(state: MapState, lang: Lang, compare: bool) -> str:
    label = t(f"map.measure.{state.measure}", lang)
    return f"{t('map.change', lang)} {label}" if compare else label


def _hover(values: mpi.MapValues, lang: Lang) -> tuple[list[str], list[int | None]]:
    """Per area: the figure text and the rank (short: they travel with every switch;
    names are in the geometry; "too few households" is the values' few_note, added by
    the browser to every too-few area; no figure is "", drawn as "–")."""
    suppressed = t("map.suppressed_short", lang)
    texts, ranks = [], []
    for a in values.areas:
        if a.suppressed:
            text = f"{fmt_suppressed()} ({suppressed})"
        elif values.compare:
            text = (f"{fmt_value(values.measure, a.value, change=True)} "
                    f"({fmt_value(values.measure, a.before)} → "
                    f"{fmt_value(values.measure, a.current)})")
        else:
            text = fmt_value(values.measure, a.value)
        if a.insufficient and not a.suppressed:
            text = ""  # too few households: no rate shown (the legend says so)
        texts.append("" if text == "–" else text)
        ranks.append(a.rank or None)
    return texts, ranks


def _ranking(values: mpi.MapValues, show_all: bool, lang: Lang,
             show_parent: bool = True) -> tuple[list[dict], list[dict], str | list]:
    """Rows (ranked areas first), columns and the table's title. `show_parent` adds
    the district or province of each area (peers from more than one parent)."""
    measure = values.measure
    scale = 1 if measure in ("count", "target_poor", "M0") else 100
    digits = 0 if measure in ("count", "target_poor") else 3 if measure == "M0" else 1

    def num(v: float | None) -> float | None:
        return None if v is None else round(v * scale, digits)

    ranked = sorted((a for a in values.areas if a.rank), key=lambda a: (a.rank, a.pcode))
    rest = [a for a in values.areas if not a.rank]
    top = t("map.rank_top_change" if values.compare else "map.rank_top", lang)
    title = f"{t('map.ranking', lang)} · {top}"
    if len(ranked) > RANKING_ALL_LIMIT and not show_all:
        ranked = ranked[:RANKING_EDGE] + ranked[-RANKING_EDGE:]
        rest = []
        title = t("map.ranking_edges", lang).replace("{n}", str(RANKING_EDGE)) + f" · {top}"
    elif len(rest) > RANKING_UNRANKED and not show_all:
        # few ranked areas (a small store: nearly all "too few"): the unranked ones
        # would send thousands of empty rows with every switch; list some, count the rest
        more = len(rest) - RANKING_UNRANKED
        rest = rest[:RANKING_UNRANKED]
        title = [title, html.Span(t("map.ranking_unranked_more", lang).replace(
            "{n}", fmt_int(more)), id=ids.RANKING_MORE, className="d-block small fw-normal")]
    rows = [{"pcode": a.pcode, "rank": a.rank, "name": pick(a.name_th, a.name_en, lang),
             "in": pick(a.parent_th, a.parent_en, lang),
             "value": num(a.value), "surveyed": a.surveyed,
             "note": (f"{fmt_suppressed()} {t('map.suppressed_short', lang)}" if a.suppressed
                      else t("map.too_few_short", lang) if a.insufficient else "")}
            for a in ranked + rest]
    unit = "" if scale == 1 else (" (pp)" if values.compare else " (%)")
    value_header = t(f"map.measure.{measure}", lang) + unit
    if values.compare:
        value_header = f"{t('map.change', lang)}: {value_header}"
    cols = [
        # rows arrive ranked (unranked areas last); no initial sort, which would put
        # the unranked (empty) ones first
        {"field": "rank", "headerName": t("map.rank", lang), "width": 90, **grid_number()},
        {"field": "name", "headerName": t("map.area", lang), "flex": 2, "minWidth": 130,
         "cellClass": "map-ranking-name"},
        {"field": "in", "headerName": t("map.area_in", lang), "flex": 1, "minWidth": 100,
         "hide": not show_parent},
        {"field": "value", "headerName": value_header, "flex": 1, "minWidth": 110,
         **grid_number(digits)},
        {"field": "surveyed", "headerName": t("col.surveyed", lang), "flex": 1,
         "minWidth": 90, **grid_number()},
        {"field": "note", "headerName": "", "width": 110},
    ]
    return rows, cols, title


def _panel(profile: dict | None, state: MapState, current: SurveyRound,
           prev: SurveyRound | None, lang: Lang, trend_rows: list[dict] = (),
           villages_href: str | None = None) -> list:
    if profile is None:
        return [html.Div(t("map.no_area", lang))]
    name = pick(profile["name_th"], profile["name_en"], lang)
    prev_label = round_label(prev.year_be, lang) if prev else None

    def change(now, before, pct: bool = True) -> str:
        if now is None or before is None:
            return "–"
        return f"{100 * (now - before):+.1f} pp" if pct else f"{now - before:+,}"

    af, af_before = profile["af"], profile["af_before"]
    facts = [
        (t("map.panel.surveyed", lang), fmt_int(profile["surveyed"]),
         change(profile["surveyed"], profile["surveyed_before"], pct=False)),
        (t("map.panel.poor", lang),
         f"{fmt_int(profile['poor'])} ({fmt_pct(profile['poor_share'])})",
         change(profile["poor_share"], profile["poor_share_before"])),
        (t("map.panel.poor_people", lang), fmt_int(profile.get("poor_people")),
         change(profile.get("poor_people"), profile.get("poor_people_before"), pct=False)),
        (t("map.measure.target_poor", lang), fmt_int(profile["target_poor"]), ""),
        (f"H (k = {format_k(state.k)})", fmt_pct(af["H"]), change(af["H"], af_before["H"])),
        ("A", fmt_pct(af["A"]), change(af["A"], af_before["A"])),
        ("M0 = H×A", "–" if af["M0"] is None else f"{af['M0']:.3f}",
         "–" if af["M0"] is None or af_before["M0"] is None
         else f"{af['M0'] - af_before['M0']:+.3f}"),
    ]
    if prev is not None:
        facts.append((t("map.panel.left_poverty", lang), fmt_int(profile["left_poverty"]), ""))
        facts.append((t("map.panel.new_poor", lang), fmt_int(profile["new_poor"]), ""))
    change_head = f"{t('map.panel.change', lang)} {prev_label}" if prev else ""
    fact_rows = [html.Tr([html.Th(label, scope="row"), html.Td(value, className="text-end"),
                          html.Td(delta, className="text-end text-muted")])
                 for label, value, delta in facts]
    facts_table = dbc.Table(
        [html.Thead(html.Tr([html.Th(""), html.Th(round_label(current.year_be, lang),
                                                  className="text-end"),
                             html.Th(change_head, className="text-end")])),
         html.Tbody(fact_rows)],
        size="sm", className="table-compact mb-2", id=ids.PANEL_FACTS)
    dim_rows = [html.Tr([
        html.Td(pick(d["name_th"], d["name_en"], lang)),
        html.Td(fmt_int(d["deprived"]), className="text-end"),
        html.Td(fmt_pct(d["share"]), className="text-end"),
        html.Td(change(d["share"], d["share_before"]), className="text-end text-muted"),
        html.Td(fmt_pct(d["contribution"]), className="text-end"),
    ]) for d in profile["dimensions"]]
    dim_table = dbc.Table(
        [html.Thead(html.Tr([html.Th(t("map.dimension", lang)),
                             html.Th(t("map.panel.deprived", lang), className="text-end"),
                             html.Th("%", className="text-end"),
                             html.Th(change_head or t("map.panel.change", lang),
                                     className="text-end"),
                             html.Th(t("map.panel.contribution", lang), className="text-end")])),
         html.Tbody(dim_rows)],
        size="sm", className="table-compact mb-1", id=ids.PANEL_DIMENSIONS)
    ind_rows = [html.Tr([
        # the indicator's wording in the cell, not in a title tooltip (drawn by the
        # browser in a system font, which may lack Thai)
        html.Td([html.Span(i["code"], className="fw-semibold"), " ",
                 html.Span(pick(i["text_th"], i["text_en"], lang), className="small")]),
        html.Td(fmt_int(i["deprived"]), className="text-end"),
        html.Td(fmt_pct(i["share"]), className="text-end"),
        html.Td(fmt_int(i["not_applicable"]), className="text-end text-muted"),
        html.Td(fmt_pct(i["contribution"]), className="text-end"),
    ]) for i in profile["indicators"]]
    ind_table = html.Details([
        html.Summary(t("map.panel.by_indicator", lang)),
        dbc.Table([html.Thead(html.Tr([
            html.Th(t("map.indicator", lang)),
            html.Th(t("map.panel.deprived", lang), className="text-end"),
            html.Th("%", className="text-end"),
            html.Th(t("map.panel.not_applicable", lang), className="text-end"),
            html.Th(t("map.panel.contribution", lang), className="text-end")])),
            html.Tbody(ind_rows)], size="sm", className="table-compact")])
    children: list = [html.H2(name, className="h5 mb-1", id=ids.PANEL_NAME)]
    if profile["level"] == 3:
        children.append(dcc.Link(t("map.households", lang),
                                 href=f"/households?area={profile['pcode']}",
                                 id=ids.HOUSEHOLDS_LINK,
                                 className="btn btn-sm btn-outline-primary mb-2"))
    if villages_href:  # the tambon's villages on the map (record roles of the area)
        children.append(dcc.Link(t("map.villages_link", lang), href=villages_href,
                                 id=ids.VILLAGES_LINK,
                                 className="btn btn-sm btn-outline-primary mb-2 ms-1"))
    if profile["insufficient"]:
        children.append(html.Div(t("map.too_few", lang).replace(
            "{n}", str(min_households())), className="figure-note"))
    children += [facts_table, dim_table,
                 html.Div(t("map.panel.note", lang), className="figure-note mb-1"), ind_table]
    if trend_rows:  # every round the store holds, with its table (the chart's text)
        children.append(tr.block(list(trend_rows), lang, format_k(state.k),
                                 ids.PANEL_TREND_PREFIX, f"{tr.word('title', lang)} — {name}",
                                 height=240, download_query=state.query(),
                                 # its chart after the map's first frame: Plotly's
                                 # script and drawing would delay that frame by ~1 s
                                 after_map=MAP_ID))
    return children


def _controls_out(state: MapState, round_years: list[int], lang: Lang,
                  village_level: bool = False) -> dict:
    area_level = pcode_level(state.area)
    return {
        f"{ids.SUBJECT}.value": state.subject, f"{ids.SUBJECT}.disabled": not state.uses_subject,
        f"{ids.MEASURE}.value": state.measure, f"{ids.K}.value": round(state.k, 4),
        f"{ids.K}.disabled": not state.uses_k, f"{ids.LEVEL}.value": state.level,
        f"{ids.LEVEL}.options": level_options(area_level, lang, village_level),
        f"{ids.CLASSES}.value": state.classes,
        f"{ids.COMPARE}.value": str(state.compare) if state.compare else "none",
        f"{ids.COMPARE}.options": compare_options(round_years, state.round, lang),
    }


def _error_view(problems: list[tuple[str, str]], lang: Lang, color: str = "danger") -> dict:
    return {f"{ids.MESSAGE}.children": _message(problems, lang, color),
            f"{ids.BODY}.style": {"display": "none"}, f"{ids.GEOMETRY}.data": None,
            f"{ids.SPEC}.data": None}


AHEAD_PATH = "/map/ahead"  # pages/map_ahead.py: one view's map values, fetched ahead
AHEAD_DRILL_PATH = "/map/ahead/drill"  # … and an area's drill-down, spec included


def _resolved(conn, state: MapState) -> tuple[MapState, mpi.Catalogue, list[SurveyRound],
                                              SurveyRound] | None:
    """The state checked against the store, its round filled in, with the catalogue and
    the rounds; None when the store holds no round. Raises MapParamError."""
    rounds = list_rounds(conn)
    if not rounds:
        return None
    catalogue = mpi.load_catalogue(conn)
    check_against(state, areas_found=mpi.existing_areas(
                      conn, [p for p in (state.area, state.sel) if p]),
                  dimensions=[d.code for d in catalogue.dimensions],
                  indicators=[i.code for i in catalogue.indicators],
                  round_years=[r.year_be for r in rounds])
    current = _round_for(rounds, state.round)
    return replace(state, round=current.year_be), catalogue, rounds, current


def _area_values(conn, scope: Scope, catalogue, state: MapState, current: SurveyRound,
                 compare: SurveyRound | None) -> mpi.MapValues:
    """The view's figures, per scope (suppression differs by role) and data version,
    shared by the workers."""
    compare_id = compare.round_id if compare else None
    versions = data_versions(conn)
    return cached(scope, ("map_values", versions["aggregates"], versions["boundaries"],
                          current.round_id, state.level, state.area, state.subject,
                          state.measure, state.k, compare_id),
                  lambda: mpi.map_values(conn, scope, catalogue,
                                         round_id=current.round_id, level=state.level,
                                         parent=state.area, subject=state.subject,
                                         measure=state.measure, k=state.k,
                                         compare_round_id=compare_id))


class _Drawn(NamedTuple):
    """A view's figures as the map draws them: classes, class per area, hover, legend."""

    classes: cp.Classes
    z: list[int | None]
    legend: dict  # {"title", "rows", "note"}: components.choropleth.legend_rows
    fmt: Callable[[float], str]
    values: dict  # components.map_view.map_values


def _draw(values: mpi.MapValues, state: MapState, scope: Scope, lang: Lang,
          compare: bool, catalogue, round_years: Sequence[int] = ()) -> _Drawn:
    numbers = [a.value for a in values.areas]
    insufficient = [a.insufficient for a in values.areas]
    known = [v for v, few in zip(numbers, insufficient, strict=True) if not few]
    classes = (cp.classify(known, diverging=True) if compare
               else cp.classify(known, state.classes))
    z = cp.class_index(numbers, classes, insufficient)
    texts, ranks = _hover(values, lang)
    suppressed_label = None
    if scope.suppress_small_counts:  # public: small counts hidden, and marked as such
        hidden = (f"{fmt_suppressed()} · "
                  + t("map.suppressed", lang).replace("{n}", str(suppression_threshold())))
        for i, a in enumerate(values.areas):
            if a.value is None and a.surveyed is None:
                z[i], texts[i], suppressed_label = cp.SUPPRESSED, hidden, hidden
    fmt = legend_formatter(state.measure, compare)
    ahead = current_settings().services.map_ahead
    rows = cp.legend_rows(
        classes, fmt,
        insufficient_label=(t("map.too_few", lang).replace("{n}", str(values.min_households))
                            if state.measure in RATES else None),
        no_data_label=t("map.no_data", lang) if any(
            v is None and c is None for v, c in zip(numbers, z, strict=True)) else None,
        suppressed_label=suppressed_label)
    note = None
    if compare:  # which way is better
        note = t("map.change_contribution" if state.measure == "contribution"
                 else "map.change_better", lang)
    legend = {"title": t("map.legend", lang), "rows": rows, "note": note}
    map_values = mv.map_values(
        geodata_url(state.level, state.area), state.query(), z, classes.colors, texts,
        ranks, values.ranked, state.sel, label=_hover_label(state, lang, compare),
        rank_note=t("map.rank_top_change" if compare else "map.rank_top", lang),
        few_note=t("map.too_few_short", lang), legend=legend,
        ahead=_ahead_links(state, catalogue, round_years) if ahead else None,
        drill=_drill_link(state) if ahead else None,
        on_demand=_on_demand_links(state) if ahead else None)
    return _Drawn(classes, z, legend, fmt, map_values)


def _drill_link(state: MapState) -> dict | None:
    """Where the component fetches an area's drill-down ahead (when a user points at
    it): /map/ahead/drill with the parameters of `state.drill(area)`, `area` to be
    filled in. None where a click opens nothing new (tambons: it selects)."""
    if state.level >= 3:
        return None
    below = replace(state, area=None, level=state.level + 1, sel=None)
    return {"path": AHEAD_DRILL_PATH, "params": below.params()}


def _ahead_links(state: MapState, catalogue, round_years: Sequence[int] = ()
                 ) -> dict[str, dict[str, str]]:
    """The views a user is likely to ask for next — every dimension (and overall) and
    every measure of this view, and the rounds just before and after it (the shell's
    selector; not in a comparison) — by control and value, as /map/ahead URLs: the
    component fetches them after it has painted and draws one at once when its control
    is chosen, before the server's answer (which then replaces it)."""
    first_dim = next((f"dim:{d.code}" for d in catalogue.dimensions), None)
    choices = {ids.SUBJECT: ["overall", *[f"dim:{d.code}" for d in catalogue.dimensions]],
               ids.MEASURE: list(MEASURES)}
    links: dict[str, dict[str, str]] = {}
    for control, options in choices.items():
        for value in options:
            nxt = _next_state(state, control, value, first_dim)
            if nxt is not None and nxt != state:
                links.setdefault(control, {})[value] = AHEAD_PATH + nxt.query()
    years = sorted(round_years)
    if state.compare is None and state.round in years:
        at = years.index(state.round)
        for year in years[max(at - 1, 0):at] + years[at + 1:at + 2]:
            links.setdefault(shell_ids.ROUND, {})[str(year)] = (
                AHEAD_PATH + replace(state, round=year).query())
    return links


# Controls whose choices are too many to fetch ahead, by the URL parameter they set: the
# cut-off k is any number in (0, 1]; the component fetches the view the moment one is
# chosen, in parallel with the page's own callback, and draws it if it comes first.
ON_DEMAND = {ids.K: "k", ids.CLASSES: "classes"}


def _on_demand_links(state: MapState) -> dict[str, dict[str, str]]:
    """{control id: {"url": /map/ahead of this view, "param" the browser sets in it}}."""
    return {control: {"url": AHEAD_PATH + state.query(), "param": param}
            for control, param in ON_DEMAND.items()}


def _legend_box(drawn: _Drawn) -> html.Div:
    box = cp.legend_from_rows(drawn.legend["title"], drawn.legend["rows"], ids.LEGEND)
    if drawn.legend["note"]:
        box.children.append(html.Div(drawn.legend["note"], className="legend-note",
                                     id=ids.LEGEND_DIRECTION))
    return box


def ahead_values(params, scope: Scope, lang: Lang, with_spec: bool = False) -> dict | None:
    """One view's map values (with its legend) and nothing else of the page: what
    /map/ahead serves; `with_spec`: {"spec", "values"}, the spec as a new geometry needs
    it (what /map/ahead/drill serves for an area's drill-down). None for parameters that
    describe no area map."""
    try:
        state = parse_state(params)
    except MapParamError:
        return None
    if state.level == VILLAGE_LEVEL:
        return None
    with read_scoped(scope) as conn:  # aggregates only: a replica may serve them
        try:
            resolved = _resolved(conn, state)
        except MapParamError:
            return None
        if resolved is None:
            return None
        state, catalogue, rounds, current_round = resolved
        compare = _round_for(rounds, state.compare) if state.compare else None
        values = _area_values(conn, scope, catalogue, state, current_round, compare)
        bounds = mpi.area_bounds(conn, state.level, state.area) if with_spec else None
    drawn = _draw(values, state, scope, lang, compare is not None, catalogue,
                  [r.year_be for r in rounds]).values
    if not with_spec:
        return drawn
    return {"spec": _spec(state, values, bounds, lang), "values": drawn}


def _spec(state: MapState, values: mpi.MapValues, bounds, lang: Lang) -> dict:
    return mv.map_spec(geodata_url(state.level, state.area), [a.pcode for a in values.areas],
                       level=state.level, bounds=bounds,
                       measure_label=_hover_label(state, lang, False),
                       rank_label=t("map.rank", lang), lang=lang,
                       **tile_sources(state.level, state.area))


def compute_view(params, scope: Scope, lang: Lang, shown_geometry: str | None,
                 ranking_all: bool = False, state: MapState | None = None) -> dict:
    """Everything the page shows for the state in `params` (or `state`), as
    {"<id>.<prop>": value}. The map's spec (geometry) is sent only when `shown_geometry`
    is not the one the state needs; values always. Bad parameters give a message, never an exception."""
    try:
        state = state or parse_state(params)
    except MapParamError as err:
        return {**_error_view(err.problems, lang), "state": None}
    with read_scoped(scope) as conn:  # aggregates only: a replica may serve them
        try:
            resolved = _resolved(conn, state)
        except MapParamError as err:
            return {**_error_view(err.problems, lang), "state": state}
        if resolved is None:
            return {**_error_view([(t("no_data", "th"), t("no_data", "en"))], lang, "warning"),
                    "state": None}
        state, catalogue, rounds, current_round = resolved
        round_years = [r.year_be for r in rounds]
        if state.level == VILLAGE_LEVEL:
            return _village_view(conn, state, scope, lang, shown_geometry, ranking_all,
                                 catalogue, rounds, current_round)
        compare = _round_for(rounds, state.compare) if state.compare else None
        prev = previous_round(rounds, current_round)
        values = _area_values(conn, scope, catalogue, state, current_round, compare)
        profile = mpi.area_profile(conn, scope, catalogue, state.focus,
                                   round_id=current_round.round_id,
                                   previous_round_id=prev.round_id if prev else None, k=state.k)
        # every round the store holds, for the panel's trend (queries/trend.py)
        trend_rows = trend.area_trend(conn, scope, catalogue, state.focus, k=state.k,
                                      rounds=rounds)
        trail = ancestors(conn, state.area, include_self=True) if state.area else []
        if state.sel:
            trail += ancestors(conn, state.sel, include_self=True)[len(trail):]
        new_geometry = shown_geometry != state.geometry_key
        bounds = mpi.area_bounds(conn, state.level, state.area) if new_geometry else None
        card_data = (mpi.has_welfare_card_data(conn, current_round.round_id)
                     if state.measure == "target_poor" else True)

    drawn = _draw(values, state, scope, lang, compare is not None, catalogue, round_years)
    locations = [a.pcode for a in values.areas]
    spec = _spec(state, values, bounds, lang) if new_geometry else dash.no_update
    source = pick(current_round.source_th, current_round.source_en, lang)
    when = round_label(current_round.year_be, lang)
    if compare:
        when = f"{round_label(compare.year_be, lang)} → {when}"
    caption = [html.Div(figure_title(state, catalogue, lang,
                                     compare.year_be if compare else None),
                        className="map-figure-title", id=ids.FIGURE_TITLE),
               html.Div(f"{when} · {t('source', lang)}: {source}", className="figure-source")]
    note = [html.Div(definition(state, lang), className="figure-note", id=ids.DEFINITION)]
    if state.measure == "target_poor" and not card_data:
        note.append(html.Div(t("map.no_card_data", lang), className="figure-note text-danger"))
    rows, cols, ranking_title = _ranking(values, ranking_all, lang,
                                         state.level - pcode_level(state.area) >= 2)
    area_names = trail[-1] if state.area and trail else {
        "name_th": t("shell.country", "th"), "name_en": t("shell.country", "en")}
    return {
        "state": state,
        "catalogue": catalogue,
        "round_years": round_years,
        # plain data for the static map and the downloads (pages/map_exports.py)
        "export": {"locations": locations, "z": drawn.z, "classes": drawn.classes,
                   "title": figure_title(state, catalogue, lang,
                                         compare.year_be if compare else None),
                   "when": when, "source": source, "area": pick(area_names["name_th"],
                                                                area_names["name_en"], lang),
                   "subject": _subject_word(state, catalogue, lang),
                   "legend_title": t("map.legend", lang), "fmt": drawn.fmt,
                   "insufficient_label": t("map.too_few", lang).replace(
                       "{n}", str(values.min_households)),
                   "no_data_label": t("map.no_data", lang)},
        **_view_outputs(state, spec, drawn.values, None, caption, note, _legend_box(drawn),
                        _breadcrumb(state, trail, lang), (rows, cols, ranking_title),
                        _panel(profile, state, current_round, prev, lang, trend_rows,
                               _villages_href(state, scope, profile))),
        **_controls_out(state, round_years, lang, _village_level(state, scope)),
    }


def _view_outputs(state: MapState, spec: dict, map_values: dict, message, caption, note,
                  legend_box, breadcrumb, ranking: tuple, panel) -> dict:
    """The page's outputs for a drawn view (an area level or the village level)."""
    rows, cols, ranking_title = ranking
    return {
        f"{shell_ids.URL}.search": state.query(),
        f"{ids.SHOWN}.data": state.query(),
        f"{ids.SPEC}.data": spec,
        f"{ids.VALUES}.data": map_values,
        f"{ids.GEOMETRY}.data": state.geometry_key,
        f"{ids.MESSAGE}.children": message,
        f"{ids.BODY}.style": {},
        f"{ids.CAPTION}.children": caption,
        f"{ids.NOTE}.children": note,
        f"{ids.LEGEND_BOX}.children": legend_box,
        f"{ids.BREADCRUMB}.children": breadcrumb,
        f"{ids.RANKING}.rowData": rows,
        f"{ids.RANKING}.columnDefs": cols,
        f"{ids.RANKING_TITLE}.children": ranking_title,
        f"{ids.PANEL}.children": panel,
    }


# ── the village level ────────────────────────────────────────────────────────
def _village_level(state: MapState, scope: Scope) -> bool:
    """Whether the level control offers the villages of the state's area: village
    figures come from household records (queries/villages.py), so only to the record
    roles of that area."""
    return pcode_level(state.area) >= 2 and villages.may_see(scope, state.area)


def _villages_href(state: MapState, scope: Scope, profile: dict | None) -> str | None:
    """The panel's link to a tambon's villages, for a user who may see them."""
    tambon = profile["pcode"] if profile and profile["level"] == 3 else None
    if tambon is None or not villages.may_see(scope, tambon):
        return None
    return "/map" + replace(state, level=VILLAGE_LEVEL, area=tambon, sel=None,
                            compare=None).query()


def _village_label(v: villages.VillageFigure, lang: Lang) -> str:
    label = t("map.village_no", lang).replace("{n}", str(v.village_no))
    return f"{label} {v.name_th}" if v.name_th else label


def _village_view(conn, state: MapState, scope: Scope, lang: Lang, shown_geometry: str | None,
                  ranking_all: bool, catalogue, rounds: list[SurveyRound],
                  current: SurveyRound) -> dict:
    """The villages of a district or tambon as points (vector tiles), with their ranking;
    the tambons around them drawn uncoloured, the area's profile in the panel. One round
    only (no comparison between rounds: households move between villages)."""
    state = replace(state, compare=None)
    round_years = [r.year_be for r in rounds]
    district = state.area[:6]
    tambons = mpi.area_list(conn, 3, district)
    names = {a["pcode"]: a for a in tambons}
    version = data_versions(conn)["aggregates"]
    # kept a moment for the village tiles the browser asks for next (geodata/village_tiles)
    figures = village_figures(conn, scope, catalogue, round_id=current.round_id,
                              area=state.area, subject=state.subject, measure=state.measure,
                              k=state.k, version=version)
    profile = mpi.area_profile(conn, scope, catalogue, state.area, round_id=current.round_id,
                               previous_round_id=None, k=state.k)
    trail = ancestors(conn, state.area, include_self=True)
    new_geometry = shown_geometry != state.geometry_key
    bounds = mpi.area_bounds(conn, pcode_level(state.area), state.area) if new_geometry else None
    area_figures = [mpi.AreaFigure(
        v.vid, _village_label(v, "th"), _village_label(v, "en"), v.value, v.surveyed,
        v.insufficient, v.rank, parent_th=names.get(v.tambon, {}).get("name_th", ""),
        parent_en=names.get(v.tambon, {}).get("name_en", "")) for v in figures]
    values = mpi.MapValues(area_figures, sum(1 for v in figures if v.rank), state.measure,
                           False, min_households())
    numbers = [v.value for v in figures]
    few = [v.insufficient for v in figures]
    classes = cp.classify([v for v, f in zip(numbers, few, strict=True) if not f and v is not None],
                          state.classes)
    z = cp.class_index(numbers, classes, few)
    texts, ranks = _hover(values, lang)
    tiles = village_tile_url({
        "area": state.area, "round": current.round_id, "subject": state.subject,
        "measure": state.measure, "k": format_k(state.k),
        "b": ",".join(repr(float(b)) for b in classes.bins), "v": version})
    geometry_url = geodata_url(3, district)
    # the tambons around the villages: outlined, uncoloured; the area's own selected
    outlined = [state.area] if pcode_level(state.area) == 3 else [a["pcode"] for a in tambons]
    lang_label = _hover_label(state, lang, False)
    spec = (mv.map_spec(geometry_url, outlined, level=VILLAGE_LEVEL, bounds=bounds,
                        measure_label=lang_label, rank_label=t("map.rank", lang), lang=lang,
                        villages=mv.village_spec([v.vid for v in figures],
                                                 [pick(a.name_th, a.name_en, lang)
                                                  for a in area_figures]))
            if new_geometry else dash.no_update)
    map_values = mv.map_values(
        geometry_url, state.query(), [None] * len(outlined), classes.colors, [""] * len(outlined),
        None, None, state.area if pcode_level(state.area) == 3 else None, label=lang_label,
        rank_note=t("map.rank_top", lang), few_note=t("map.too_few_short", lang),
        villages=mv.village_values(tiles, z, texts, ranks, values.ranked))
    legend_box = cp.legend(
        classes, legend_formatter(state.measure, False), t("map.legend", lang),
        insufficient_label=(t("map.too_few", lang).replace("{n}", str(min_households()))
                            if state.measure in RATES else None),
        no_data_label=t("map.no_data", lang) if any(v is None and c is None for v, c in
                                                    zip(numbers, z, strict=True)) else None,
        legend_id=ids.LEGEND)
    source = pick(current.source_th, current.source_en, lang)
    caption = [html.Div(figure_title(state, catalogue, lang), className="map-figure-title",
                        id=ids.FIGURE_TITLE),
               html.Div(f"{round_label(current.year_be, lang)} · {t('source', lang)}: {source}",
                        className="figure-source")]
    note = [html.Div(definition(state, lang), className="figure-note", id=ids.DEFINITION),
            html.Div(t("map.villages_note", lang), className="figure-note",
                     id=ids.VILLAGES_NOTE)]
    unplaced = sum(1 for v in figures if v.lon is None)
    if unplaced:
        note.append(html.Div(t("map.villages_unplaced", lang).replace("{n}", fmt_int(unplaced)),
                             className="figure-note"))
    message = None
    if not figures:
        message = dbc.Alert(t("map.villages_none", lang), color="warning", id=ids.ERROR,
                            className="my-2")
    rows, cols, ranking_title = _ranking(values, ranking_all, lang,
                                         pcode_level(state.area) == 2)
    return {
        "state": state, "catalogue": catalogue, "round_years": round_years,  # no exports
        **_view_outputs(state, spec, map_values, message, caption, note, legend_box,
                        _breadcrumb(state, trail, lang), (rows, cols, ranking_title),
                        _panel(profile, state, current, None, lang)),
        **_controls_out(state, round_years, lang, True),
    }


def _subject_word(state: MapState, catalogue, lang: Lang) -> str:
    """What a download is named after: the dimension or indicator, else the measure."""
    if state.uses_subject and state.subject_kind == "dim":
        d = catalogue.dimension(state.subject_code)
        if d:
            return pick(d.name_th, d.name_en, lang)
    if state.uses_subject and state.subject_kind == "ind":
        return state.subject_code or ""
    return t(f"map.measure.{state.measure}", lang)


def _safe_view(*args, **kwargs) -> dict:
    """compute_view, with any unexpected failure shown as a message (logged in full)."""
    lang = args[2] if len(args) > 2 else kwargs.get("lang", "th")
    try:
        return compute_view(*args, **kwargs)
    except Exception:  # the page never shows a traceback
        log.exception("map view failed")
        return {**_error_view([(t("error.title", "th"), t("error.title", "en"))], lang),
                "state": None}


# ── layout ───────────────────────────────────────────────────────────────────
def _search_only_navigation() -> bool:
    """True when the pages router runs only because the query string changed while
    this page is shown: the page's callback redraws the values, so the router must
    not rebuild (and re-plot) the whole page."""
    try:
        triggered = set(ctx.triggered_prop_ids)
    except Exception:  # not inside a callback (first render)
        return False
    return triggered == {ROUTER_SEARCH}


def layout(**query) -> html.Div:
    if _search_only_navigation():
        return dash.no_update
    lang = current_lang()
    scope = current_scope()
    params, at_home = home_params(query, scope.home_area)  # a user's own area by default
    view = _safe_view(params, scope, lang, None)
    state = view.get("state") or MapState()
    round_years, catalogue = view.get("round_years"), view.get("catalogue")
    if catalogue is None:  # a bad URL: the controls still offer every choice
        try:
            with read_scoped(scope) as conn:
                round_years = [r.year_be for r in list_rounds(conn)]
                catalogue = mpi.load_catalogue(conn)
        except Exception:  # the message already says what went wrong
            log.exception("map controls")
    spec = view.get(f"{ids.SPEC}.data")
    graph = mv.map_view(
        MAP_ID, label=t("map.aria", lang).replace("{what}", t("map.title", lang)),
        keys_help=t("map.keys", lang), height=MAP_HEIGHT,
        spec=spec if isinstance(spec, dict) else None, values=view.get(f"{ids.VALUES}.data"),
        legend=view.get(f"{ids.LEGEND_BOX}.children"), legend_id=ids.LEGEND_BOX)
    return html.Div([
        # map-url follows the address bar (back button, links, the round selector);
        # the callback writes new addresses through the shell's shell-url.
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.ADDRESS),  # the address, when it is not the view drawn (see below)
        dcc.Store(id=ids.SHOWN, data=view.get(f"{ids.SHOWN}.data")),
        dcc.Store(id=ids.GEOMETRY, data=view.get(f"{ids.GEOMETRY}.data")),
        dcc.Store(id=ids.CONTROLS_SHOWN),  # {shown, asked}: the controls drawn, and asked
        # the user's own area, opened by default, into the address (assets/20-chipao.js)
        dcc.Store(id=ids.HOME, data=view.get(f"{ids.SHOWN}.data") if at_home else None),
        html.Div(id=ids.HOME_MARK, hidden=True),
        html.H1(t("map.title", lang), className="page-title"),
        html.Nav(view.get(f"{ids.BREADCRUMB}.children"), id=ids.BREADCRUMB,
                 className="map-breadcrumb", **{"aria-label": "breadcrumb"}),
        html.Div(view.get(f"{ids.MESSAGE}.children"), id=ids.MESSAGE),
        controls(state, catalogue or mpi.Catalogue((), ()), round_years or [], lang,
                 _village_level(state, scope)),
        toolbar(ex_ids.TOOLBAR_PREFIX, lang, view.get(f"{shell_ids.URL}.search") or ""),
        print_stamp(lang, ids.PRINT_STAMP, ids.PRESENT_HINT),
        html.Div(dbc.Row([
            dbc.Col([
                html.Div(view.get(f"{ids.CAPTION}.children"), id=ids.CAPTION),
                # the all-tambon map takes seconds to switch: the map dims and says so
                # while the view callback runs (its legend, inside the frame, is one of
                # every view's outputs: a switch, a drill-down, a ranking row, the round)
                busy(html.Div(graph, className="map-frame"), {ids.LEGEND_BOX: "children"},
                     lang, class_name="map-busy"),
                cp.attribution(t("attribution", lang)),
                html.Div(view.get(f"{ids.NOTE}.children"), id=ids.NOTE),
            ], lg=7),
            dbc.Col([
                html.Div(view.get(f"{ids.PANEL}.children"), id=ids.PANEL, className="map-panel"),
                html.H2(view.get(f"{ids.RANKING_TITLE}.children"), id=ids.RANKING_TITLE,
                        className="h6 mt-3"),
                dbc.Switch(id=ids.RANKING_ALL, label=t("map.ranking_all", lang), value=False,
                           className="small"),
                dag.AgGrid(id=ids.RANKING, rowData=view.get(f"{ids.RANKING}.rowData") or [],
                           columnDefs=view.get(f"{ids.RANKING}.columnDefs") or [],
                           defaultColDef={"sortable": True, "resizable": True, **GRID_HEADERS},
                           getRowId="params.data.pcode",
                           dashGridOptions={"animateRows": False,
                                            "rowSelection": {"mode": "singleRow",
                                                             "checkboxes": False,
                                                             "enableClickSelection": True}},
                           style={"height": "420px"}, className="map-ranking"),
            ], lg=5),
        ], className="g-3"), id=ids.BODY, style=view.get(f"{ids.BODY}.style", {})),
    ], className="map-page")


# ── interactions ─────────────────────────────────────────────────────────────
# the map draws a dimension or measure it fetched ahead at once (components/map_view.py)
mv.draw_ahead_on(MAP_ID, (ids.SUBJECT, ids.MEASURE, *ON_DEMAND))
clientside_callback(  # assets/20-chipao.js: the user's own area into the address
    ClientsideFunction("chipao", "ownArea"),
    Output(ids.HOME_MARK, "className"),
    Input(ids.HOME, "data"),
)
clientside_callback(  # assets/20-chipao.js: the controls show the view drawn (in the
    # browser, not as outputs of update_map: Dash loses a user's change to an input that
    # a pending callback writes)
    ClientsideFunction("chipao", "controlsOfView"),
    *[Output(c, "value") for c in CONTROL_IDS],
    Input(ids.CONTROLS_SHOWN, "data"),
    *[State(c, "value") for c in CONTROL_IDS],
    prevent_initial_call=True,
)
clientside_callback(  # assets/20-chipao.js: a new address (link, back button) is drawn;
    # the address update_map itself wrote is the view shown, and costs no round trip
    ClientsideFunction("chipao", "addressOfView"),
    Output(ids.ADDRESS, "data"),
    Input(ids.URL, "search"),
    State(ids.SHOWN, "data"),
    prevent_initial_call=True,
)
clientside_callback(  # assets/20-chipao.js: a ranking row picked brings the map into view
    ClientsideFunction("chipao", "showMap"),
    Output(ids.RANKING, "className"),
    Input(ids.RANKING, "cellClicked"),
    prevent_initial_call=True,
)
def _next_state(current: MapState, trigger: str | None, value,
                first_dimension: str | None = None) -> MapState | None:
    """The state after a control change or a click (None: nothing to do)."""
    if trigger == ids.SUBJECT:
        return replace(current, subject=value) if value else None
    if trigger == ids.MEASURE:
        if not value:
            return None
        subject = current.subject
        if value == "contribution" and subject == "overall":  # needs a dimension
            subject = first_dimension or subject
        return replace(current, measure=value, subject=subject)
    if trigger == ids.K:
        try:
            return replace(current, k=parse_k(str(value)))
        except ValueError:
            return None
    if trigger == ids.LEVEL:  # a new level clears the selection; the same one changes nothing
        if not value:
            return None
        return current if int(value) == current.level else replace(current, level=int(value),
                                                                    sel=None)
    if trigger == ids.CLASSES:
        return replace(current, classes=value) if value else None
    if trigger == ids.COMPARE:
        return replace(current, compare=None if value in (None, "none") else int(value))
    if trigger in (MAP_ID, ids.RANKING):
        pcode = value
        if current.level == VILLAGE_LEVEL:  # a village has no figures of its own to open
            return None
        if not pcode or pcode_level(pcode) != current.level:
            return None
        return current.drill(pcode)
    return None


def _with_controls(current: MapState, values: dict, first_dimension: str | None) -> MapState:
    """The address's state with every control's value."""
    state = current
    for control in CONTROL_IDS:
        state = _next_state(state, control, values.get(control), first_dimension) or state
    return state


def _same_view(search: str | None, shown: str | None) -> bool:
    """Whether the address shows the view already on the page (a missing round means
    the latest, which the shown view has resolved)."""
    if not shown:
        return False
    try:
        now, before = parse_state(search), parse_state(shown)
    except MapParamError:
        return False
    return replace(now, round=now.round or before.round) == before


def _clicked(trigger: str | None, picked: dict | None, cell: dict | None) -> str | None:
    if trigger == MAP_ID and picked:
        return picked.get("pcode")
    if trigger == ids.RANKING and cell:
        return cell.get("rowId")
    return None


@callback(
    *[Output(i, p, allow_duplicate=True) if i == shell_ids.URL
      else Output(_COMPONENT_IDS.get(i, i), p) for i, p in OUTPUTS],
    Input(ids.ADDRESS, "data"),
    Input(ids.SUBJECT, "value"),
    Input(ids.MEASURE, "value"),
    Input(ids.K, "value"),
    Input(ids.LEVEL, "value"),
    Input(ids.CLASSES, "value"),
    Input(ids.COMPARE, "value"),
    Input(mv.event_id(MAP_ID), "data"),
    Input(ids.RANKING, "cellClicked"),
    Input(ids.RANKING_ALL, "value"),
    State(ids.GEOMETRY, "data"),
    State(ids.SHOWN, "data"),
    State(ids.SUBJECT, "options"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def update_map(_address, subject, measure, k, level, classes, compare, click, cell,
               ranking_all, shown_geometry, shown, subject_options, search):
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):  # the map component's event store
        trigger = MAP_ID
    lang = current_lang()
    scope = current_scope()
    address = search
    # an address without area or level (a menu link) is the user's own area
    search = "?" + urlencode(home_params(search, scope.home_area)[0])
    if trigger == ids.ADDRESS and _same_view(search, shown):
        raise PreventUpdate  # the address this callback itself just wrote
    state = None
    values = dict(zip(CONTROL_IDS, (subject, measure, k, level, classes, compare), strict=True))
    changed = [MAP_ID if isinstance(t, dict) else t for t in ctx.triggered_prop_ids.values()]
    changed = [t for t in changed if t not in (ids.ADDRESS, ids.RANKING_ALL, None)]
    if changed:
        try:
            current = parse_state(search)
        except MapParamError:
            current = MapState()
        first_dim = next((o["value"] for o in subject_options or []
                          if str(o.get("value", "")).startswith("dim:")), None)
        # Every control as the user has it, not only the ones this request lists as
        # changed: Dash drops the answer of a request a newer one overtook, so the
        # address may not yet show an earlier choice. Then the picks, in order.
        state = _with_controls(current, values, first_dim)
        for control in changed:
            picked = _clicked(control, click, cell)
            if picked is not None:
                state = _next_state(state, control, picked, first_dim) or state
        if state == current:
            raise PreventUpdate
    view = _safe_view(search, scope, lang, shown_geometry, bool(ranking_all), state=state)
    if f"{ids.SUBJECT}.value" in view:  # the controls follow it (chipao.controlsOfView)
        view[f"{ids.CONTROLS_SHOWN}.data"] = {
            "shown": [view.get(f"{c}.value", values[c]) for c in CONTROL_IDS],
            "asked": [values[c] for c in CONTROL_IDS]}
    if state is None or view.get(f"{shell_ids.URL}.search") in (search, address):
        # Drawn from the URL (link, back button, round selector): never push a new
        # history entry for it, or the back button would loop.
        view[f"{shell_ids.URL}.search"] = dash.no_update
    return [view.get(f"{i}.{p}", dash.no_update) for i, p in OUTPUTS]
