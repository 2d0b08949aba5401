"""Downloads of what /plans shows: every plan table as CSV (UTF-8 with BOM) or XLSX
(with a second sheet of the filters as people read them), and the progress map as a
PNG/SVG with title, legend, round, source and attribution (also the page's print image).

Routes (``/export/plans/<table>.<fmt>?<plans query>``, the page's own URL state):
``funnel``, ``horizons``, ``agencies`` (the agency totals), ``agency_matrix`` (agency ×
needs, the heatmap's cells), ``steps`` (areas × the nine steps), ``targets``,
``stalled_areas`` and ``stalled_households`` (personal data: record roles only, in their
scope), and ``map.png|svg``. The tables are built from the very data the page loads
(pages.plans.load_data, same scope and state) with the page's words, counts withheld
for scopes that suppress small counts exactly as the page withholds them, dates as the
page shows them. Only roles that may open /plans get them (refusals audited), and every
download is audited (``action = 'export'``, target ``plans:<table>``).

app.py registers the routes after the pages exist (like pages/map_exports.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import flask

from chipao.domain.exports import Column, to_csv_bytes, to_xlsx_bytes
from chipao.domain.planstate import PlanParamError, PlanState
from chipao.domain.scope import Scope
from chipao.web import auth
from chipao.web.download import send
from chipao.web.session import current_scope, read_scoped
from components import plan_widgets as pw
from components.downloads import word
from components.i18n import Lang, current_lang, fmt_date, fmt_datetime, pick, round_label, t
from geodata import static_map as sm
from pages import plans as page
from queries import audit
from queries import plans as q
from queries.db import scoped

PAGE = "/plans"


@dataclass
class Table:
    """One export: what it is called (sheet and file), its columns and rows."""

    title: str
    subject: str  # the file name's last part
    columns: list[Column]
    rows: list[dict]


def _count(n: int | None) -> int | str:
    """A count as the page shows it: the number, or the withheld mark."""
    return pw.suppressed_mark() if n is None else int(n)


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 1)


def _name(th: str, en: str, lang: Lang) -> str:
    return pick(th, en, lang)


# ── the tables, from the page's data ─────────────────────────────────────────
def funnel(state: PlanState, data: dict, lang: Lang) -> Table:
    f = data["funnel"]
    base = f["target"]
    rows = [{"stage": t(f"plans.stage.{s}", lang), "households": _count(f[s]),
             "share": _pct(f[s] / base) if f[s] is not None and base else None}
            for s in q.FUNNEL_STAGES]
    cols = [("stage", t("plans.funnel", lang)), ("households", t("plans.funnel_counts", lang)),
            ("share", t("plans.stage.target", lang) + " (%)")]
    return Table(t("plans.funnel", lang), t("plans.funnel", lang), cols, rows)


def horizons(state: PlanState, data: dict, lang: Lang) -> Table:
    rows = []
    for r in data["horizons"]:
        open_ = None if r["not_started"] is None or r["in_progress"] is None \
            else r["not_started"] + r["in_progress"]
        rows.append({"horizon": t(f"plans.horizon.{r['horizon']}", lang),
                     "items": _count(r["items"]), "done": _count(r["done"]),
                     "open": _count(open_), "overdue": _count(r["overdue"]),
                     "median_days": None if r["median_days"] is None else round(r["median_days"])})
    cols = [("horizon", t("plans.col.horizon", lang)), ("items", t("plans.col.items", lang)),
            ("done", t("plans.status.done", lang)), ("open", t("plans.col.open", lang)),
            ("overdue", t("plans.col.overdue", lang)),
            ("median_days", t("plans.col.median_days", lang))]
    return Table(t("plans.horizons", lang), t("plans.horizons", lang), cols, rows)


def agencies(state: PlanState, data: dict, lang: Lang) -> Table:
    totals: dict[str, dict] = {}
    for cell in data["matrix"]:
        tot = totals.setdefault(cell["agency_code"], {"done": 0, "open": 0, "overdue": 0})
        for k in tot:
            tot[k] += cell[k] or 0
    rows = [{"agency": _name(a["name_th"], a["name_en"], lang),
             **{k: totals.get(a["code"], {}).get(k, 0) for k in ("done", "open", "overdue")}}
            for a in data["catalogue"]["agencies"]]
    cols = [("agency", t("plans.col.agency", lang)), ("done", t("plans.status.done", lang)),
            ("open", t("plans.col.open", lang)), ("overdue", t("plans.col.overdue", lang))]
    return Table(t("plans.agencies", lang), t("plans.col.agency", lang), cols, rows)


def agency_matrix(state: PlanState, data: dict, lang: Lang) -> Table:
    """Agency × needs (the heatmap's cells, in its order; cells without items left out)."""
    agencies_ = {a["code"]: a for a in data["catalogue"]["agencies"]}
    categories = {c["code"]: c for c in data["catalogue"]["categories"]}
    order_a = {a["code"]: i for i, a in enumerate(data["catalogue"]["agencies"])}
    order_c = {c["code"]: i for i, c in enumerate(data["catalogue"]["categories"])}
    cells = sorted(data["matrix"], key=lambda c: (order_a.get(c["agency_code"], 999),
                                                  order_c.get(c["category_code"], 999)))
    rows = []
    for c in cells:
        a = agencies_.get(c["agency_code"], {"name_th": c["agency_code"], "name_en": c["agency_code"]})
        g = categories.get(c["category_code"],
                           {"name_th": c["category_code"], "name_en": c["category_code"]})
        rows.append({"agency": _name(a["name_th"], a["name_en"], lang),
                     "need": _name(g["name_th"], g["name_en"], lang),
                     "done": _count(c["done"]), "open": _count(c["open"]),
                     "overdue": _count(c["overdue"])})
    cols = [("agency", t("plans.col.agency", lang)), ("need", word("agency_need", lang)),
            ("done", t("plans.status.done", lang)), ("open", t("plans.col.open", lang)),
            ("overdue", t("plans.col.overdue", lang))]
    return Table(t("plans.agencies", lang), word("agency_need_file", lang), cols, rows)


def steps(state: PlanState, data: dict, lang: Lang) -> Table:
    """Every area of the steps map × the nine steps (the steps matrix), dates as shown."""
    rows = []
    for a in data["steps_areas"]:
        for s in data["catalogue"]["steps"]:
            step = a["steps"].get(s["step_no"])
            status = step["status"] if step else "not_started"
            rows.append({"pcode": a["pcode"], "area": _name(a["name_th"], a["name_en"], lang),
                         "step": f"{s['step_no']}. {_name(s['name_th'], s['name_en'], lang)}",
                         "status": t(f"plans.step_status.{status}", lang),
                         "started": fmt_date(step["started_on"], lang) if step else "–",
                         "completed": fmt_date(step["completed_on"], lang) if step else "–"})
    cols = [("pcode", "P-code"), ("area", t("plans.col.area", lang)),
            ("step", t("plans.col.step", lang)), ("status", t("plans.col.status", lang)),
            ("started", t("plans.started", lang)), ("completed", t("plans.completed", lang))]
    return Table(t("plans.steps", lang), word("steps_file", lang), cols, rows)


def targets(state: PlanState, data: dict, lang: Lang) -> Table:
    rows = []
    for r in page.targets_shown(data, lang):
        share = (r["with_plan"] / r["target_households"]
                 if r["with_plan"] is not None and r["target_households"] else None)
        rows.append({"pcode": r["pcode"],
                     "area": t("shell.country", lang) if r["pcode"] == "TH"
                     else _name(r["name_th"], r["name_en"], lang),
                     "target": r["target_households"], "in_store": _count(r["in_store"]),
                     "visited": _count(r["visited"]), "with_plan": _count(r["with_plan"]),
                     "share": _pct(share), "eta": r.get("eta_text", "–")})
    cols = [("pcode", "P-code"), ("area", t("plans.col.area", lang)),
            ("target", t("plans.target", lang)), ("in_store", t("plans.col.in_store", lang)),
            ("visited", t("plans.stage.visited", lang)),
            ("with_plan", t("plans.stage.with_plan", lang)),
            ("share", t("plans.col.share_of_target", lang) + " (%)"),
            ("eta", t("plans.col.eta", lang))]
    return Table(t("plans.targets_title", lang), t("plans.target", lang), cols, rows)


def stalled_areas(state: PlanState, data: dict, lang: Lang) -> Table:
    rows = [{"pcode": r["pcode"], "area": _name(r["name_th"], r["name_en"], lang),
             "households": _count(r["households"]), "items": _count(r["items"]),
             "open_items": _count(r["open_items"])} for r in data["stalled_areas"]]
    cols = [("pcode", "P-code"), ("area", t("plans.col.area", lang)),
            ("households", t("plans.col.stalled_households", lang)),
            ("items", t("plans.col.stalled_items", lang)),
            ("open_items", t("plans.col.open_items", lang))]
    return Table(t("plans.stalled", lang), word("stalled_file", lang), cols, rows)


def stalled_households(state: PlanState, data: dict, lang: Lang) -> Table:
    rows = [{"house": r["house_id"],
             "tambon": _name(r["tambon_name_th"], r["tambon_name_en"], lang),
             "village": r["village_no"], "open_items": r["open_items"],
             "overdue": r["overdue_items"], "last_change": fmt_date(r["last_change"], lang),
             "idle_days": r["idle_days"], "earliest_due": fmt_date(r["earliest_due"], lang)}
            for r in data["households"] or []]
    cols = [("house", t("plans.col.house", lang)), ("tambon", t("plans.col.tambon", lang)),
            ("village", t("plans.col.village", lang)),
            ("open_items", t("plans.col.open_items", lang)),
            ("overdue", t("plans.col.overdue", lang)),
            ("last_change", t("plans.col.last_change", lang)),
            ("idle_days", t("plans.col.idle_days", lang)),
            ("earliest_due", t("plans.col.earliest_due", lang))]
    return Table(t("plans.stalled_households", lang), word("stalled_households_file", lang),
                 cols, rows)


TABLES: dict[str, Callable[[PlanState, dict, Lang], Table]] = {
    "funnel": funnel, "horizons": horizons, "agencies": agencies,
    "agency_matrix": agency_matrix, "steps": steps, "targets": targets,
    "stalled_areas": stalled_areas, "stalled_households": stalled_households,
}
PERSONAL = frozenset({"stalled_households"})


def filters(state: PlanState, data: dict, lang: Lang) -> list[tuple[str, str]]:
    """The filters as people read them (the XLSX's second sheet)."""
    refresh = data["refresh"]
    return [
        (t("plans.col.area", lang), page._area_name(data, lang)),
        (t("shell.round", lang), round_label(data["round"].year_be, lang)),
        (t("map.measure", lang), t(f"plans.measure.{state.measure}", lang)),
        (t("map.level", lang), t(f"plans.level.{state.level}", lang)),
        (t("plans.days_label", lang), str(state.days)),
        (t("exports.data_date", lang), fmt_date(data["as_of"], lang)),
        (t("exports.refreshed_at", lang),
         fmt_datetime(refresh["refreshed_at"], lang) if refresh else "–"),
        (t("source", lang), t("plans.source", lang)),
    ]


# ── the routes ───────────────────────────────────────────────────────────────
def _refuse(scope: Scope, reason: str):
    with scoped(scope) as conn:
        audit.record(conn, scope, "refused", flask.request.path,
                     {"page": PAGE, "reason": reason, "method": flask.request.method})
    flask.abort(403, reason)


def _view(personal: bool = False) -> tuple[PlanState, dict, Scope, Lang]:
    """The page's state and data for the request's query, or a refusal."""
    scope, lang = current_scope(), current_lang()
    if PAGE not in flask.g.get("allowed_paths", frozenset()):
        _refuse(scope, "export of a page this role may not open")
    if personal and not scope.may_see_records:
        _refuse(scope, "personal export for a role without records")
    try:
        state = page.page_state(flask.request.args.to_dict(), scope)
    except PlanParamError as err:
        flask.abort(400, "; ".join(en for _th, en in err.problems))
    with read_scoped(scope) as conn:
        data = page.load_data(conn, scope, state, lang)
    if isinstance(data, str):
        flask.abort(404, data)
    return state, data, scope, lang


def table_file(table: str, fmt: str):
    if table not in TABLES or fmt not in ("csv", "xlsx"):
        flask.abort(404)
    personal = table in PERSONAL
    state, data, scope, lang = _view(personal)
    with scoped(scope) as conn:
        if personal:  # live, through row-level security, read and audited together
            data["households"] = q.stalled_households(
                conn, scope, data["round"].round_id, data["focus"], state.days, data["as_of"],
                limit=page.EXPORT_MAX_ROWS)
        else:  # every stalled area, not only the first the page lists
            data["stalled_areas"] = q.stalled_areas(
                conn, scope, data["round"].round_id, state.level, state.area, state.days) \
                if table == "stalled_areas" else data["stalled_areas"]
        out = TABLES[table](state, data, lang)
        audit.record(conn, scope, "export", target=f"plans:{table}",
                     details={"format": fmt, "query": state.query(), "what": table,
                              "round": data["round"].year_be, "rows": len(out.rows)},
                     rows=len(out.rows) if personal else None)
    if fmt == "csv":
        body = to_csv_bytes(out.columns, out.rows)
    else:
        body = to_xlsx_bytes(out.columns, out.rows, sheet_title=out.title[:31],
                             notes=filters(state, data, lang))
    name = sm.file_name(page._area_name(data, lang), str(data["round"].year_be), out.subject,
                        ext=fmt)
    return send(body, fmt, name)


def _progress_map(state: PlanState, data: dict, lang: Lang):
    locations, z, _texts, _more, classes, minimum = page._map_values(state, data, lang)
    colors = {p: (classes.colors[c] if c is not None and c >= 0 else None)
              for p, c in zip(locations, z, strict=True)}
    legend, lower = [], classes.lower
    for bound, color in zip(classes.bins, classes.colors, strict=True):
        legend.append(sm.LegendEntry(color, f"{cm_pct(lower)} – {cm_pct(bound)}"))
        lower = bound
    legend.append(sm.LegendEntry(sm.NO_DATA, t("plans.too_few", lang).format(n=minimum)))
    label = t(f"plans.measure.{state.measure}", lang)
    return colors, legend, label, state.level, state.area, \
        t(f"plans.level.{state.level}", lang)


def _steps_map(state: PlanState, data: dict, lang: Lang):
    """The 9-step map as the page draws it: the highest step done per area."""
    steps_ = data["catalogue"]["steps"]
    colors = {a["pcode"]: (pw.STEP_COLORS[a["highest_done"] - 1] if a["highest_done"] else None)
              for a in data["steps_areas"]}
    legend = [sm.LegendEntry(sm.NO_DATA, t("plans.no_step_done", lang))]
    legend += [sm.LegendEntry(c, f"{s['step_no']}. {pick(s['name_th'], s['name_en'], lang)}")
               for s, c in zip(steps_, pw.STEP_COLORS, strict=False)]
    level = data["steps_level"]
    parent = data["focus"][:4] if level == 2 else None
    return colors, legend, t("plans.col.highest_step", lang), level, parent, \
        t(f"plans.level.{level}", lang)


def map_image(fmt: str):
    """The progress map (or, with ``map=steps``, the 9-step map) as the page draws it
    (measure, level, area), with title, legend, round, source and attribution."""
    if fmt not in ("png", "svg"):
        flask.abort(404)
    which = flask.request.args.get("map", "progress")
    if which not in ("progress", "steps"):
        flask.abort(404)
    state, data, scope, lang = _view()
    colors, legend, label, level, parent, level_name = (
        _steps_map if which == "steps" else _progress_map)(state, data, lang)
    area = page._area_name(data, lang)
    when = round_label(data["round"].year_be, lang)
    as_of = t("plans.as_of_short", lang).format(date=fmt_date(data["as_of"], lang))
    spec = sm.MapSpec(colors, legend, title=f"{label} — {area}",
                      subtitle=f"{area} · {when} · {level_name}", legend_title=label,
                      source=f"{t('source', lang)}: {t('plans.source', lang)} · {as_of}",
                      attribution=sm.ATTRIBUTION_TH if lang == "th" else sm.ATTRIBUTION_EN,
                      lang=lang, highlight=[state.sel] if state.sel else ())
    with scoped(scope) as conn:
        frame = sm.shapes_frame(conn, level, parent)
        audit.record(conn, scope, "export", target=f"plans:map:{which}",
                     details={"format": fmt, "query": state.query(), "what": which,
                              "purpose": flask.request.args.get("purpose", "download")})
    image = sm.render(frame, spec, fmt, dpi=150)
    subject = word("steps_file", lang) if which == "steps" else label
    return send(image, fmt, sm.file_name(area, str(data["round"].year_be), subject, ext=fmt))


def cm_pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def register_routes(server: flask.Flask) -> None:
    """The plans page's downloads: the guard lets exactly the page's roles fetch them."""
    auth.add_download(server, "/export/plans/map.<fmt>", "export_plans_map", map_image, PAGE)
    auth.add_download(server, "/export/plans/<table>.<fmt>", "export_plans_table", table_file,
                      PAGE)


__all__ = ["TABLES", "filters", "register_routes"]
