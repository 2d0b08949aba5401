"""Downloads of what the overview shows, and of the trend in the map's area profile.

Routes (the sign-in guard sees every one; identity from the server-side session):
- ``/export/overview.csv|xlsx?round=``: the headline figures (this round, the previous
  round, the change), as the page's figures table;
- ``/export/provinces.csv|xlsx?round=``: the top-provinces table;
- ``/export/trend.csv|xlsx|png|svg?<map query>``: the trend over every survey round of
  the map's focus area (no area: the country, as on the overview), as the trend table
  and chart show it;
- ``/export/dimensions.png|svg?round=``: the overview's chart of deprived households
  by dimension.

CSV is UTF-8 with BOM and XLSX has a second sheet of the filters as people read them
(chipao.domain.exports, the one writer). The figures come from the page's own
functions (pages.overview.overview_view, queries.trend.area_trend) with the viewer's
scope, so a public viewer's download hides what the page hides (queries/suppression.py:
small counts and their complementary cells). Charts carry title, legend, round,
source and attribution, named after what they show. Every download is audited.
app.py registers the routes after the pages exist (it uses the overview page's view).
"""

from __future__ import annotations

import flask

from chipao.domain.exports import to_csv_bytes, to_xlsx_bytes
from chipao.domain.mapstate import format_k, parse_k
from chipao.domain.pcodes import AREA_RE
from chipao.domain.scope import Scope
from chipao.web import auth, download
from chipao.web.session import current_scope, read_scoped
from components import static_chart as sc
from components import trend as tr
from components.formatting import be_datetime
from components.i18n import current_lang, fmt_int, fmt_pct, fmt_suppressed, pick, round_label, t
from components.theme import CATEGORICAL, CURRENT, PREVIOUS
from geodata import static_map as sm
from pages.overview import (
    _TOP,
    TOP_WORD,
    OverviewError,
    figure_rows,
    filter_notes,
    overview_view,
)
from queries import audit, trend
from queries.briefs import data_state
from queries.db import scoped
from queries.mpi import area_name, load_catalogue
from queries.rounds import list_rounds, resolve_round
from queries.suppression import threshold

TABLES, CHARTS = ("csv", "xlsx"), ("png", "svg")




def _audit(scope: Scope, what: str, fmt: str) -> None:
    with scoped(scope) as conn:
        audit.record(conn, scope, "export", target=what,
                     details={"format": fmt, "query": flask.request.query_string.decode()},
                     ip=flask.request.remote_addr)


def _view() -> tuple[dict, Scope, str]:
    scope, lang = current_scope(), current_lang()
    try:
        return (overview_view(scope, lang, flask.request.args.get("round"),
                              flask.request.args.get("area")), scope, lang)
    except OverviewError as err:
        flask.abort(400, str(err))


def _table(fmt: str, cols, rows, sheet: str, notes, name: str) -> flask.Response:
    data = (to_csv_bytes(cols, rows) if fmt == "csv"
            else to_xlsx_bytes(cols, rows, sheet_title=sheet[:31], notes=notes))
    return download.send(data, fmt, name)


def figures_table(fmt: str):
    if fmt not in TABLES:
        flask.abort(404)
    view, scope, lang = _view()
    current, prev = view["current"], view["prev"]
    cols = [("figure", t("overview.figure", lang)), ("now", round_label(current.year_be, lang))]
    if prev is not None:
        cols += [("before", round_label(prev.year_be, lang)), ("change", t("overview.col_change", lang))]
    rows = figure_rows(view, lang)
    _audit(scope, "overview_figures", fmt)
    return _table(fmt, cols, rows, t("overview.figures", lang), filter_notes(view, lang),
                  sm.file_name(view["area_name"], str(current.year_be), t("overview.figures", lang),
                               ext=fmt))


def provinces_table(fmt: str):
    if fmt not in TABLES:
        flask.abort(404)
    view, scope, lang = _view()
    withheld = f"{fmt_suppressed()} " + t("overview.withheld", lang)
    rows = [{"rank": r["rank"], "pcode": r["pcode"],
             "province": pick(r["name_th"], r["name_en"], lang), "poor": r["poor"],
             "share": None if r["share"] is None else round(100 * r["share"], 1),
             "change": r["change"], "note": withheld if r["poor"] is None else None}
            for r in view["top"]]
    cols = [("rank", t("col.rank", lang)), ("pcode", "P-code"),
            ("province", t(_TOP[view["top_level"]][0], lang)), ("poor", t("col.poor", lang)),
            ("share", t("col.share", lang)), ("change", t("col.change", lang)),
            ("note", t("overview.note", lang))]
    _audit(scope, "overview_provinces", fmt)
    year, what = str(view["current"].year_be), t(TOP_WORD[view["top_level"]], lang)
    return _table(fmt, cols, rows, what, filter_notes(view, lang),
                  sm.file_name(view["area_name"], year, what, ext=fmt))


def _data_date(lang: str, refreshed_at) -> str:
    return be_datetime(refreshed_at, lang) if refreshed_at else "–"


def _source_text(lang: str, source: str, refreshed_at) -> str:
    return f"{t('source', lang)}: {source} · {t('overview.data_date', lang)} {_data_date(lang, refreshed_at)}"


def _chart(spec: sc.ChartSpec, fmt: str) -> bytes:
    return sc.render(spec, sm.register_fonts(), fmt)


def dimensions_chart(fmt: str):
    if fmt not in CHARTS:
        flask.abort(404)
    view, scope, lang = _view()
    current, prev = view["current"], view["prev"]
    names = [pick(d["name_th"], d["name_en"], lang) for d in view["dims_now"]]
    series = []
    if prev is not None and view["dims_before"] is not None:
        series.append(sc.Series(round_label(prev.year_be, lang),
                                [d["deprived"] for d in view["dims_before"]], PREVIOUS))
    series.append(sc.Series(round_label(current.year_be, lang),
                            [d["deprived"] for d in view["dims_now"]], CURRENT,
                            [fmt_pct(d["share"]) for d in view["dims_now"]]))
    spec = sc.ChartSpec(
        "bar", names, series,
        title=f"{t('overview.by_dimension', lang)} — {round_label(current.year_be, lang)}",
        subtitle=f"{view['area_name']} · {round_label(current.year_be, lang)}",
        y_title=t("overview.households", lang),
        source=_source_text(lang, view["source"], view["refreshed_at"]),
        attribution=sm.ATTRIBUTION_TH if lang == "th" else sm.ATTRIBUTION_EN,
        notes=(t("overview.poor_note", lang),))
    image = _chart(spec, fmt)
    _audit(scope, "overview_dimensions_chart", fmt)
    label = t("overview.dimensions_file", lang)
    return download.send(image, fmt, sm.file_name(view["area_name"], str(current.year_be), label,
                                          ext=fmt))


def trend_view(args, scope: Scope, lang: str) -> dict:
    """The trend table of the map's focus area (``sel``, else ``area``, else the country
    — the overview's area), at the query's k and named after its round: {rows, area,
    round, k_label, source, refreshed_at}. ValueError for parameters that describe no
    area."""
    focus = (args.get("sel") or args.get("area") or "TH").upper()
    if focus != "TH" and not AREA_RE.match(focus):
        raise ValueError(f"area={focus!r}")
    try:
        k = parse_k(args.get("k") or "1/3")
    except ValueError as err:
        raise ValueError(f"k={err}") from err
    with read_scoped(scope) as conn:
        rounds = list_rounds(conn)
        current = resolve_round(rounds, args.get("round"))
        info = area_name(conn, focus)
        if current is None or info is None:
            raise ValueError(t("no_data", lang))
        rows = trend.area_trend(conn, scope, load_catalogue(conn), focus, k=k, rounds=rounds)
        refreshed_at, _version = data_state(conn)
    return {"rows": rows, "area": pick(info["name_th"], info["name_en"], lang),
            "round": current, "k_label": format_k(k),
            "source": pick(current.source_th, current.source_en, lang),
            "refreshed_at": refreshed_at}


def trend_export(fmt: str):
    if fmt not in TABLES + CHARTS:
        flask.abort(404)
    scope, lang = current_scope(), current_lang()
    try:
        view = trend_view(flask.request.args, scope, lang)
    except ValueError as err:
        flask.abort(400, str(err))
    rows, year = view["rows"], view["round"].year_be
    title = f"{t('trend.title', lang)} — {view['area']}"
    name = sm.file_name(view["area"], str(year), t("overview.trend_file", lang), ext=fmt)
    attribution = sm.ATTRIBUTION_TH if lang == "th" else sm.ATTRIBUTION_EN
    if fmt in TABLES:
        notes = [(t("overview.area", lang), view["area"]), (t("shell.round", lang),
                  ", ".join(round_label(r["year"], lang) for r in rows)),
                 ("k (H, A, M0)", view["k_label"]),
                 (t("overview.data_date", lang), _data_date(lang, view["refreshed_at"])),
                 (t("source", lang), view["source"]), (t("overview.boundaries", lang), attribution)]
        if scope.suppress_small_counts:
            notes.append((t("overview.note", lang),
                          t("overview.suppressed", lang).replace("{n}", str(threshold()))))
        data = (to_csv_bytes(tr.export_columns(lang, view["k_label"]), tr.export_rows(rows, lang))
                if fmt == "csv" else
                to_xlsx_bytes(tr.export_columns(lang, view["k_label"]), tr.export_rows(rows, lang),
                              sheet_title=t("trend.title", lang), notes=notes))
        _audit(scope, "trend", fmt)
        return download.send(data, fmt, name)
    years = [round_label(r["year"], lang) for r in rows]
    series = [sc.Series(tr.word(key, lang) + (f" (k = {view['k_label']})" if key == "H" else ""),
                        [None if r.get(key) is None else 100 * r[key] for r in rows], color,
                        [fmt_pct(r.get(key)) for r in rows])
              for key, color in (("poor_share", CATEGORICAL[0]), ("H", CATEGORICAL[1]))]
    poor = " · ".join(f"{y}: {fmt_int(r['poor'])}" for y, r in zip(years, rows, strict=True))
    spec = sc.ChartSpec(
        "line", years, series, title=title,
        subtitle=f"{view['area']} · {', '.join(years)}",
        y_title="%", source=_source_text(lang, view["source"], view["refreshed_at"]),
        attribution=attribution,
        notes=(t("trend.note", lang).replace("{k}", view["k_label"]),
               f"{t('trend.poor', lang)}: {poor}"))
    image = _chart(spec, fmt)
    _audit(scope, "trend_chart", fmt)
    return download.send(image, fmt, name)


def register_routes(server: flask.Flask) -> None:
    """The overview's downloads (and the trend of the map's area profile, which the same
    roles may open): the guard lets exactly the overview's roles fetch them."""
    auth.add_download(server, "/export/overview.<fmt>", "export_overview_figures",
                      figures_table, "/")
    auth.add_download(server, "/export/provinces.<fmt>", "export_overview_provinces",
                      provinces_table, "/")
    auth.add_download(server, "/export/dimensions.<fmt>", "export_overview_dimensions",
                      dimensions_chart, "/")
    auth.add_download(server, "/export/trend.<fmt>", "export_trend", trend_export, "/")
