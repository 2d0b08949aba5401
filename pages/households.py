"""/households — the household list of a district or tambon (or a village in it),
with search, filters, server-side paging/sorting and exports.

The URL holds the view (``/households?area=TH500101&village=3&dim=health&round=2566``)
so a link from the map or a colleague reproduces it; the same parameters travel to
the grid's callbacks in a dcc.Store and are re-validated there (a store can be
forged: identity and scope come from the server-side session only). Data:
queries/households.py; refusals are audited.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from chipao.domain.exports import to_csv_bytes, to_xlsx_bytes
from chipao.domain.household_filters import (
    PLAN_STATES,
    Refused,
    parse_grid_request,
    parse_list_params,
)
from chipao.domain.scope import Scope
from chipao.web.session import current_scope
from components import downloads as dl
from components.cards import source_line
from components.formatting import fmt_datetime
from components.household_grid import (
    column_defs,
    export_columns,
    household_grid,
    row_for_export,
    row_for_grid,
)
from components.i18n import Lang, current_lang, fmt_int, pick, round_label, t
from pages import households_ids as ids
from queries import areas
from queries import households as hh
from queries.db import scoped
from queries.rounds import list_rounds, resolve_round

dash.register_page(__name__, path="/households", name="households", nav_key="nav.households",
                   order=2)

# list parameter → its filter drop-down
CONTROLS = {"dim": ids.DIM, "ind": ids.IND, "dims": ids.DIMS, "k": ids.K, "plan": ids.PLAN,
            "visited": ids.VISITED, "welfare": ids.WELFARE, "village": ids.VILLAGE}
K_CHOICES = (0.1, 0.2, 0.25, 1 / 3, 0.4, 0.5, 0.6)


def _refused(refused: Refused, lang: Lang) -> html.Div:
    return html.Div([
        html.H1(t("hh.title", lang), className="page-title"),
        dbc.Alert([html.Strong(f"{t('hh.refused', lang)}: "), refused.text(lang)],
                  color="danger", id=ids.REFUSED),
        dcc.Link(t("hh.pick_title", lang), href="/households"),
    ])


def layout(**query) -> html.Div:
    lang = current_lang()
    scope = current_scope()
    try:
        params = parse_list_params(query)
        with scoped(scope) as conn:
            hh.require_records(scope)
            if params.area is None and params.q is None:
                listed = hh.scope_list_areas(conn, scope)
                if len(listed) != 1 or listed[0]["level"] != 3:
                    return _picker(conn, scope, lang, params.round)
                # one tambon (a tambon officer's): its list, not a one-item picker
                params = replace(params, area=listed[0]["pcode"])
            lctx = hh.list_context(conn, scope, params)
            villages = hh.villages(conn, scope, params.area) if lctx.level == 3 else []
            trail = areas.ancestors(conn, params.area, include_self=True) if params.area else []
    except Refused as refused:
        hh.record_refusal(scope, refused, "households.page", dict(query))
        return _refused(refused, lang)
    return _list_layout(lctx, scope, lang, villages, trail)


# ── the area picker ──────────────────────────────────────────────────────────
def _picker(conn, scope: Scope, lang: Lang, year: int | None) -> html.Div:
    try:
        current = resolve_round(list_rounds(conn), year)
    except ValueError:
        current = None
    listed = hh.scope_list_areas(conn, scope)
    counts = (hh.area_household_counts(conn, scope, current.round_id, [a["pcode"] for a in listed])
              if current else {})
    suffix = f"&round={current.year_be}" if current else ""
    items = []
    for a in listed:
        label = pick(a["name_th"], a["name_en"], lang)
        n = counts.get(a["pcode"])
        link = dcc.Link(label, href=f"/households?area={a['pcode']}{suffix}",
                        id=f"{ids.PICK}{a['pcode']}")
        extra = html.Span(f" · {t('hh.count', lang).format(n=fmt_int(n))}",
                          className="text-muted") if n is not None else None
        if a["level"] == 2:
            items.append(html.H2([link, extra], className="h6 mt-3 mb-1"))
        else:
            items.append(html.Div([link, extra], className="ms-3"))
    return html.Div([
        html.H1(t("hh.title", lang), className="page-title"),
        html.Div(t("hh.pick_help", lang), className="page-subtitle"),
        _search_box(None, scope, lang, {"round": str(current.year_be)} if current else {}),
        html.Div(items, id=ids.PICKER, className="mt-3"),
        *_hidden_controls(),
        dcc.Store(id=ids.QUERY, data={"round": str(current.year_be)} if current else {}),
        dcc.Location(id=ids.LOCATION, refresh="callback-nav"),
    ])


def _hidden_controls() -> list:
    """Every filter control exists on every variant of the page, so the callback that
    reads them always has its inputs."""
    return [html.Div([dcc.Dropdown(id=cid) for cid in CONTROLS.values()], hidden=True)]


# ── the list ─────────────────────────────────────────────────────────────────
def _search_box(q: str | None, scope: Scope, lang: Lang, _base: dict) -> html.Div:
    placeholder = t("hh.search_placeholder" if scope.may_see_names else "hh.search_placeholder_id",
                    lang)
    return html.Div([
        html.Label(placeholder, htmlFor=ids.Q, className="visually-hidden"),
        dbc.InputGroup([
            dbc.Input(id=ids.Q, value=q or "", type="search", placeholder=placeholder,
                      maxLength=60, debounce=False),
            dbc.Button(t("hh.search", lang), id=ids.SEARCH, color="primary"),
        ], className=ids.SEARCH, style={"maxWidth": "32rem"}),
    ])


def _options(pairs, lang: Lang) -> list[dict]:
    return [{"label": label, "value": value} for value, label in pairs]


def _filters(lctx: hh.ListContext, lang: Lang, villages: list[dict]) -> dbc.Row:
    p, cat = lctx.params, lctx.catalogue

    def control(key: str, label: str, options: list[dict], value, hidden: bool = False):
        return dbc.Col([
            html.Label(label, htmlFor=CONTROLS[key], className="form-label small mb-0"),
            dcc.Dropdown(id=CONTROLS[key], options=options, value=value, clearable=True,
                         placeholder=t("hh.filter.any", lang), searchable=False),
        ], xs=12, sm=6, md=4, xl=True, className="d-none" if hidden else "")

    yes_no = _options([("yes", t("hh.yes", lang)), ("no", t("hh.no", lang))], lang)
    return dbc.Row([
        control("village", t("hh.filter.village", lang),
                _options([(str(v["village_no"]),
                           f"{v['village_no']}" + (f" {v['name_th']}" if v["name_th"] else ""))
                          for v in villages], lang),
                str(p.village) if p.village else None, hidden=not villages),
        control("dim", t("hh.filter.dim", lang),
                _options([(d.code, pick(d.name_th, d.name_en, lang)) for d in cat.dimensions],
                         lang), p.dim),
        control("ind", t("hh.filter.ind", lang),
                _options([(i.code, f"{i.code} {pick(i.text_th, i.text_en, lang)}")
                          for i in cat.indicators], lang), p.ind),
        control("dims", t("hh.filter.dims", lang),
                _options([(str(n), str(n)) for n in range(1, len(cat.dimensions) + 1)], lang),
                str(p.dims) if p.dims is not None else None),
        control("k", t("hh.filter.k", lang),
                _options([(f"{k:.4f}".rstrip("0"), f"{k:.2f}") for k in K_CHOICES], lang),
                f"{p.k:.4f}".rstrip("0") if p.k is not None else None),
        control("plan", t("hh.filter.plan", lang),
                _options([(s, t(f"plan.{s}", lang)) for s in PLAN_STATES], lang), p.plan),
        control("visited", t("hh.filter.visited", lang),
                _options([("yes", t("hh.visited.yes", lang)), ("no", t("hh.visited.no", lang))],
                         lang), None if p.visited is None else ("yes" if p.visited else "no")),
        control("welfare", t("hh.filter.welfare", lang), yes_no,
                None if p.welfare is None else ("yes" if p.welfare else "no")),
    ], className="g-2 mb-2 hh-filters", id=ids.FILTERS)


def _trail(trail: list[dict], lang: Lang, year: int) -> list:
    parts: list = []
    for a in trail:
        label = pick(a["name_th"], a["name_en"], lang)
        href = (f"/households?area={a['pcode']}&round={year}" if a["level"] >= 2
                else f"/map?area={a['pcode']}&round={year}")
        parts += [dcc.Link(label, href=href), " › "]
    return parts[:-1]


def _list_layout(lctx: hh.ListContext, scope: Scope, lang: Lang, villages: list[dict],
                 trail: list[dict]) -> html.Div:
    p, rnd = lctx.params, lctx.round
    year = rnd.year_be
    title = (pick(lctx.area["name_th"], lctx.area["name_en"], lang) if lctx.area
             else t("hh.search_results", lang))
    if p.village is not None:
        title += f" · {t('hh.filter.village', lang)} {p.village}"
    source = pick(rnd.source_th, rnd.source_en, lang)
    stored = {**p.as_params(), "round": str(year)}
    base = {k: v for k, v in stored.items() if k in ("area", "round")}
    return html.Div([
        html.H1([t("hh.title", lang), " · ", html.Span(title, id=ids.AREA_NAME)],
                className="page-title"),
        html.Div([*_trail(trail, lang, year), " · " if trail else "", round_label(year, lang)],
                 className="page-subtitle"),
        dbc.Row([
            dbc.Col(_search_box(p.q, scope, lang, base), md=6),
            dbc.Col([
                dbc.Button(t("hh.export_csv", lang), id=ids.EXPORT_CSV, color="secondary",
                           outline=True, size="sm", className="me-2"),
                dbc.Button(t("hh.export_xlsx", lang), id=ids.EXPORT_XLSX, color="secondary",
                           outline=True, size="sm", className="me-2"),
                dl.present_link(f"/households?{urlencode({**stored, 'present': '1'})}",
                                ids.PRESENT, lang),
                dcc.Link(t("hh.filter.reset", lang), href=f"/households?{urlencode(base)}",
                         className="small ms-2", id=ids.RESET),
            ], md=6, className="text-md-end mt-2 mt-md-0"),
        ], className="mb-2 align-items-center"),
        _filters(lctx, lang, villages),
        html.Div([html.Strong(id=ids.COUNT), " ",
                  html.Span(t("hh.counts_what", lang).format(round=round_label(year, lang)),
                            className="text-muted small")], className="mb-1"),
        html.Div(id=ids.MESSAGE),
        dcc.Loading(html.Div(id=ids.EXPORT_MSG), type="dot"),
        dcc.Download(id=ids.DOWNLOAD),
        household_grid(ids.GRID, lang, show_tambon=lctx.level != 3,
                       may_see_names=scope.may_see_names),
        html.Div(id=ids.PRINT_TABLE, className="hh-print",
                 **{"data-note": t("hh.print_note", lang)}),
        html.Div(t("hh.poor_rule", lang), className="figure-note mt-1"),
        html.Div(t("hh.export_note", lang).format(cap=fmt_int(hh.EXPORT_CAP)),
                 className="figure-note"),
        source_line(t("source", lang), f"{source} · {round_label(year, lang)}"),
        dl.page_stamp(_stamp(lctx, scope, title, lang), ids.PRINT_STAMP),
        dcc.Store(id=ids.QUERY, data=stored),
        dcc.Location(id=ids.LOCATION, refresh="callback-nav"),
    ], id=ids.PAGE)


def _stamp(lctx: hh.ListContext, scope: Scope, title: str, lang: Lang) -> str:
    """The foot line of every printed page: what the list is (area, round, filters),
    that it is personal data not to be passed on, who retrieved it and when (the page
    was drawn then; a print follows), the source."""
    filters = [f"{label}: {value}" for label, value in _filter_lines(lctx, lang)]
    rnd = lctx.round
    return " · ".join([
        title, round_label(rnd.year_be, lang), *filters, t("hh.print_personal", lang),
        t("hh.printed_by", lang).format(user=scope.username, when=fmt_datetime(datetime.now(UTC), lang)),
        f"{t('source', lang)}: {pick(rnd.source_th, rnd.source_en, lang)}"])


# ── callbacks ────────────────────────────────────────────────────────────────
@callback(
    Output(ids.LOCATION, "search"),
    Input(ids.SEARCH, "n_clicks"),
    Input(ids.Q, "n_submit"),
    *[Input(cid, "value") for cid in CONTROLS.values()],
    State(ids.Q, "value"),
    State(ids.QUERY, "data"),
    prevent_initial_call=True,
)
def apply_filters(_clicks, _submit, *values):
    """Filters and search go into the URL; the page re-renders from it."""
    *controls, q, stored = values
    stored = stored if isinstance(stored, dict) else {}
    params = {k: str(stored[k]) for k in ("area", "round") if stored.get(k)}
    for key, value in zip(CONTROLS, controls, strict=True):
        if value not in (None, "") and not (key == "village" and "area" not in params):
            params[key] = str(value)
    if isinstance(q, str) and q.strip():
        params["q"] = q.strip()
    return "?" + urlencode(params)


@callback(
    Output(ids.GRID, "getRowsResponse"),
    Output(ids.COUNT, "children"),
    Output(ids.MESSAGE, "children"),
    Input(ids.GRID, "getRowsRequest"),
    State(ids.QUERY, "data"),
    prevent_initial_call=True,
)
def get_rows(request, stored):
    """One block of rows for the infinite row model (sort/filter allow-listed)."""
    lang, scope = current_lang(), current_scope()
    try:
        params = parse_list_params(stored if isinstance(stored, dict) else {})
        grid = parse_grid_request(request)
        with scoped(scope) as conn:
            lctx = hh.list_context(conn, scope, params)
            hh.check_paging(conn, scope, grid)
            rows, total = hh.page(conn, scope, lctx, grid)
            hh.audit_list(conn, scope, lctx, grid, total, len(rows))
    except hh.PagingLimit as limit:
        hh.record_paging_refusal(scope, limit, {"request": request, "query": stored})
        return ({"rowData": [], "rowCount": 0}, "",
                dbc.Alert(t("hh.paging_limit", lang).format(
                    n=fmt_int(limit.limit), minutes=max(1, limit.seconds // 60)),
                    color="warning", id=ids.PAGING_LIMIT))
    except Refused as refused:
        hh.record_refusal(scope, refused, "households.get_rows",
                          {"request": request, "query": stored})
        return ({"rowData": [], "rowCount": 0}, "",
                dbc.Alert([html.Strong(f"{t('hh.refused', lang)}: "), refused.text(lang)],
                          color="danger", id=ids.REFUSED))
    dims = {d.sort: pick(d.name_th, d.name_en, lang) for d in lctx.catalogue.dimensions}
    data = [row_for_grid(r, lang, scope, dims, lctx.round.year_be) for r in rows]
    return ({"rowData": data, "rowCount": total},
            t("hh.count", lang).format(n=fmt_int(total)), None)


@callback(
    Output(ids.DOWNLOAD, "data"),
    Output(ids.EXPORT_MSG, "children"),
    Input(ids.EXPORT_CSV, "n_clicks"),
    Input(ids.EXPORT_XLSX, "n_clicks"),
    State(ids.QUERY, "data"),
    State(ids.GRID, "getRowsRequest"),
    prevent_initial_call=True,
)
def export(_csv, _xlsx, stored, last_request):
    """The list as the user sees it (filters, sort), as CSV or XLSX; audited."""
    lang, scope = current_lang(), current_scope()
    fmt = "xlsx" if ctx.triggered_id == ids.EXPORT_XLSX else "csv"
    last = last_request if isinstance(last_request, dict) else {}
    try:
        params = parse_list_params(stored if isinstance(stored, dict) else {})
        grid = parse_grid_request({"startRow": 0, "endRow": 100,
                                   "sortModel": last.get("sortModel"),
                                   "filterModel": last.get("filterModel")})
        with scoped(scope) as conn:
            lctx = hh.list_context(conn, scope, params)
            rows, total = hh.export_rows(conn, scope, lctx, grid)
            if total > hh.EXPORT_CAP:
                return dash.no_update, dbc.Alert(t("hh.export_cap", lang).format(
                    n=fmt_int(total), cap=fmt_int(hh.EXPORT_CAP)), color="warning")
            hh.audit_export(conn, scope, lctx, grid, fmt, len(rows))
    except Refused as refused:
        hh.record_refusal(scope, refused, "households.export",
                          {"query": stored, "request": last_request})
        return dash.no_update, dbc.Alert([html.Strong(f"{t('hh.refused', lang)}: "),
                                          refused.text(lang)], color="danger", id=ids.REFUSED)
    columns = export_columns()
    out = [row_for_export(r, scope, lctx.catalogue, lctx.round.year_be) for r in rows]
    name = f"households_{params.area or 'search'}_{lctx.round.year_be}"
    if fmt == "xlsx":
        notes = _export_notes(lctx, grid, len(out))
        content = to_xlsx_bytes(columns, out, sheet_title=t("hh.export.sheet", "th"), notes=notes)
    else:
        content = to_csv_bytes(columns, out)
    return (dcc.send_bytes(content, f"{name}.{fmt}"),
            dbc.Alert(t("hh.export_done", lang).format(n=fmt_int(len(out))), color="success",
                      duration=8000))


_OPS = {"equals": "=", "notEqual": "≠", "lessThan": "<", "lessThanOrEqual": "≤",
        "greaterThan": ">", "greaterThanOrEqual": "≥",
        "startsWith": "hh.export.starts_with", "contains": "hh.export.contains"}


def _both(th: str, en: str) -> str:
    return th if th == en else f"{th} / {en}"


def _both_key(key: str) -> str:
    """A catalogue string in both languages, "ไทย / English" (the file's notes are for both)."""
    return _both(t(key, "th"), t(key, "en"))


def _th_en(key: str) -> str:
    """A catalogue string as "ไทย (English)"."""
    return f"{t(key, 'th')} ({t(key, 'en')})"


def _filter_lines(lctx: hh.ListContext, lang: Lang | None = None) -> list[tuple[str, str]]:
    """The list filters as a person reads them: (label, value) in `lang`, or without
    it (an export's notes, for both) a Thai label and a "Thai / English" value."""
    p, cat = lctx.params, lctx.catalogue

    def label(key: str) -> str:
        return t(key, lang or "th")

    def value(th: str, en: str) -> str:
        return _both(th, en) if lang is None else pick(th, en, lang)

    def word(key: str) -> str:
        return value(t(key, "th"), t(key, "en"))

    lines: list[tuple[str, str]] = []
    if p.village is not None:
        lines.append((label("hh.filter.village"), str(p.village)))
    if p.q:
        lines.append((label("hh.search"), p.q))
    if p.dim and (d := cat.dimension(p.dim)):
        lines.append((label("hh.filter.dim"), value(d.name_th, d.name_en)))
    if p.ind and (i := cat.indicator(p.ind)):
        lines.append((label("hh.filter.ind"), f"{i.code} {value(i.text_th, i.text_en)}"))
    if p.dims is not None:
        lines.append((label("hh.filter.dims"), str(p.dims)))
    if p.k is not None:
        lines.append((label("hh.filter.k"), f"{p.k:g}"))
    if p.plan:
        lines.append((label("hh.filter.plan"), word(f"plan.{p.plan}")))
    if p.visited is not None:
        lines.append((label("hh.filter.visited"),
                      word(f"hh.visited.{'yes' if p.visited else 'no'}")))
    if p.welfare is not None:
        lines.append((label("hh.filter.welfare"), word("hh.yes" if p.welfare else "hh.no")))
    return lines


def _grid_lines(grid) -> list[tuple[str, str]]:
    """The grid's sort and column filters in words, with the column headers."""
    th = {c["field"]: c["headerName"] for c in column_defs("th", True, True)}
    en = {c["field"]: c["headerName"] for c in column_defs("en", True, True)}

    def name(col: str) -> str:
        return _both(th.get(col, col), en.get(col, col))

    lines = []
    if grid.sort:
        order = [f"{name(c)} " + _th_en("hh.export.desc" if desc else "hh.export.asc")
                 for c, desc in grid.sort]
        lines.append((t("hh.export.sort", "th"), "; ".join(order)))
    for f in grid.filters:
        parts = []
        for c in f.conditions:
            op = _OPS.get(c.op, c.op)
            if c.op == "inRange":
                parts.append(f"{c.value}–{c.value_to}")
            elif op.startswith("hh."):
                parts.append(f"{_both_key(op)} “{c.value}”")
            else:
                parts.append(f"{op} {c.value}")
        join = f' {_th_en("hh.export.and" if f.join == "AND" else "hh.export.or")} '
        lines.append((t("hh.export.column_filter", "th").format(column=name(f.column)),
                      join.join(parts)))
    return lines


def _export_notes(lctx: hh.ListContext, grid, n: int) -> list[tuple[str, str]]:
    """What the exported table counts, for which round, from which source — every
    filter written as people read it (no URL parameters, no internal names)."""
    area = lctx.area
    where = (f"{_both(area['name_th'], area['name_en'])} ({area['pcode']})" if area
             else _both_key("hh.export.whole_scope"))
    filters = _filter_lines(lctx) or [(t("hh.export.filters", "th"), _both_key("hh.export.none"))]
    return [
        (t("hh.export.table", "th"), _both_key("hh.export.table_value")),
        (t("hh.export.round", "th"), round_label(lctx.round.year_be, "th")),
        (t("hh.export.source", "th"), lctx.round.source_th),
        (t("hh.export.source", "en"), lctx.round.source_en),
        (t("hh.export.area", "th"), where),
        *filters,
        *_grid_lines(grid),
        (t("hh.export.rows", "th"), fmt_int(n)),
        (t("hh.export.note", "th"), t("hh.export.note_value", "th")),
    ]
