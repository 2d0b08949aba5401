"""Downloads of what the map page shows, and the brief as a background job (the map
page's meeting toolbar, components/meeting.py).

Routes (the sign-in guard sees every one; identity from the server-side session):
- ``/export/map.png|svg?<map query>``: the static choropleth with title, legend,
  round, source and attribution, named after what it shows
  (``เชียงใหม่-2567-รายได้.png``);
- ``/export/ranking.csv|xlsx?<map query>``: the ranking table as the page builds it
  (pages/map.compute_view, same scope and filters), CSV in UTF-8 with BOM or XLSX with
  a second sheet listing the filters as people read them;
- ``/export/profile.csv|xlsx?<map query>``: the selected area's profile by dimension
  and indicator (the side panel's tables, from mpi.area_profile);
- ``/briefs/<job id>.pdf``: a brief built by the job ``brief.build`` (chipao/jobs.py)
  for the user who started it, and nobody else.

app.py imports this module after the Dash app exists (it uses the map page's own view
function; it is no Dash page itself). Every download is audited; suppression is the page's own (the figures come from the
same function with the same scope); no personal data is read.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from urllib.parse import parse_qs

import dash
import dash_bootstrap_components as dbc
import flask
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, html

from chipao.briefs.brief import BriefError, BriefOptions, build, cache_dir
from chipao.domain.exports import to_csv_bytes, to_xlsx_bytes
from chipao.domain.mapstate import MapParamError, parse_state, query_params
from chipao.domain.scope import Role, Scope
from chipao.web import auth, download, jobs
from chipao.web.session import current_scope
from components import shell_ids
from components.formatting import be_datetime, format_k
from components.i18n import current_lang, pick, round_label, t
from geodata import static_map as sm
from pages import map_exports_ids as ids
from pages import map_ids
from pages.map import compute_view  # imported after the app (Dash registers the pages)
from queries import audit, mpi
from queries.briefs import data_state
from queries.db import scoped
from queries.rounds import list_rounds, previous_round

log = logging.getLogger("chipao.exports")


# ── the brief as a job ───────────────────────────────────────────────────────
@jobs.job("brief.build")
def brief_job(progress, username: str, role: str, areas: list[str], options: dict) -> dict:
    """Build (or fetch from the cache) a brief; the PDF stays in the brief cache and
    the result names it (JSON: it may travel through Redis)."""
    scope = Scope(username, Role(role), tuple(areas))
    brief = build(scope, BriefOptions(**options),
                  progress=lambda pct, label: progress(pct / 100, label))
    return {"key": brief.key, "filename": brief.filename, "cached": brief.cached,
            "seconds": round(brief.seconds, 2), "bytes": len(brief.pdf)}


def start_brief(scope: Scope, options: BriefOptions) -> str:
    """Start the brief job for this user; returns the job id (JobsUnavailable when the
    broker is down, BriefError for options no brief can be made of)."""
    options.check()
    return jobs.submit("brief.build", scope.username, str(scope.role), list(scope.areas),
                       asdict(options), owner=jobs.current_owner())


def _brief_file(job_id: str):
    scope = current_scope()
    try:
        status = jobs.status(job_id, owner=jobs.current_owner())
    except jobs.JobNotFound:
        # another user's (or another scope's) job, or none: the same answer, and a trace
        with scoped(scope) as conn:
            audit.record(conn, scope, "refused", flask.request.path,
                         {"page": "/map", "reason": "brief of another session or none",
                          "method": flask.request.method}, ip=flask.request.remote_addr)
        flask.abort(404)
    if status.state != "done" or not status.result:
        flask.abort(409, "the brief is not ready yet")
    path = cache_dir() / f"{status.result['key']}.pdf"
    if not path.exists():
        flask.abort(410, "the brief has expired: make it again")
    with scoped(scope) as conn:
        audit.record(conn, scope, "export", target="brief",
                     details={"format": "pdf", "job": job_id,
                              "filename": status.result["filename"]},
                     ip=flask.request.remote_addr)
    return flask.send_file(path, mimetype=download.MIMETYPES["pdf"], as_attachment=True,
                           download_name=status.result["filename"], max_age=0)


# ── map and ranking downloads ────────────────────────────────────────────────
# A white pixel: the print image of a view with bad parameters (the page already says
# what is wrong; a 400 here would only add console errors).
BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffffff7f0009fb03fd2a86e38a0000000049454e44ae426082")


class _BadView(Exception):
    pass


def _view(ranking_all: bool = True) -> tuple[dict, Scope, str]:
    scope, lang = current_scope(), current_lang()
    view = compute_view(flask.request.args, scope, lang, None, ranking_all=ranking_all)
    if view.get("state") is None or "export" not in view:
        if flask.request.args.get("purpose") == "print":
            raise _BadView
        flask.abort(400, "these map parameters do not describe a map: "
                         "open the map and use its download buttons")
    return view, scope, lang


def _filters(view: dict, lang: str) -> list[tuple[str, str]]:
    """The filters as people read them (the XLSX's second sheet, the image's subtitle)."""
    state, ex = view["state"], view["export"]
    with scoped(current_scope()) as conn:
        refreshed_at, _version = data_state(conn)
    rows = [(t("map.area", lang), ex["area"]), (t("shell.round", lang), ex["when"]),
            (t("map.measure", lang), ex["title"])]
    if state.uses_k:
        rows.append(("k", format_k(state.k)))
    rows += [(t("map.classes", lang), t(f"map.classes.{state.classes}", lang)),
             (t("map.level", lang), t(f"map.level.{state.level}", lang)),
             (t("exports.data_date", lang),
              be_datetime(refreshed_at, lang) if refreshed_at else "–"),
             (t("source", lang), ex["source"]),
             (t("exports.boundaries", lang),
              sm.ATTRIBUTION_TH if lang == "th" else sm.ATTRIBUTION_EN)]
    return rows


def _name(view: dict, ext: str) -> str:
    ex, state = view["export"], view["state"]
    return sm.file_name(ex["area"], str(state.round), ex["subject"], ext=ext)



def _audit(scope: Scope, what: str, fmt: str, view: dict) -> None:
    with scoped(scope) as conn:
        audit.record(conn, scope, "export", target=what,
                     details={"format": fmt, "query": view["state"].query()},
                     ip=flask.request.remote_addr)


def map_image(fmt: str):
    if fmt not in ("png", "svg"):
        flask.abort(404)
    try:
        view, scope, lang = _view()
    except _BadView:
        return download.send(BLANK_PNG, "png", "blank.png")
    ex, state = view["export"], view["state"]
    classes = ex["classes"]
    colors = {p: (classes.colors[z] if z is not None and z >= 0 else None)
              for p, z in zip(ex["locations"], ex["z"], strict=True)}
    legend, lower = [], classes.lower
    for bound, color in zip(classes.bins, classes.colors, strict=True):
        legend.append(sm.LegendEntry(color, f"{ex['fmt'](lower)} – {ex['fmt'](bound)}"))
        lower = bound
    legend.append(sm.LegendEntry(sm.NO_DATA, ex["insufficient_label"]))
    filters = dict(_filters(view, lang))
    subtitle = " · ".join(v for v in (ex["area"], ex["when"],
                                      f"k = {format_k(state.k)}" if state.uses_k else "",
                                      filters[t("map.classes", lang)]) if v)
    data_date = filters[t("exports.data_date", lang)]
    spec = sm.MapSpec(colors, legend, title=ex["title"], subtitle=subtitle,
                      legend_title=ex["legend_title"],
                      source=f"{t('source', lang)}: {ex['source']} · "
                             f"{t('exports.data_date', lang)} {data_date}",
                      attribution=sm.ATTRIBUTION_TH if lang == "th" else sm.ATTRIBUTION_EN,
                      lang=lang, highlight=[state.sel] if state.sel else ())
    with scoped(scope) as conn:
        frame = sm.shapes_frame(conn, state.level, state.area)
    image = sm.render(frame, spec, fmt, dpi=150)
    _audit(scope, "map_image", fmt, view)
    return download.send(image, fmt, _name(view, fmt))


def ranking_table(fmt: str):
    if fmt not in ("csv", "xlsx"):
        flask.abort(404)
    view, scope, lang = _view(ranking_all=True)
    cols = [(c["field"], c.get("headerName") or c["field"])
            for c in view[f"{map_ids.RANKING}.columnDefs"] if not c.get("hide") and c["field"] != "pcode"]
    cols = [("pcode", "P-code"), *[(k, h or t("exports.note", lang))
                                   for k, h in cols]]
    rows = view[f"{map_ids.RANKING}.rowData"]
    if fmt == "csv":
        data = to_csv_bytes(cols, rows)
    else:
        data = to_xlsx_bytes(cols, rows, sheet_title=t("map.ranking", lang)[:31],
                             notes=_filters(view, lang))
    _audit(scope, "map_ranking", fmt, view)
    name = _name(view, fmt).rsplit(".", 1)[0] + "-" + t("map.export.ranking_file", lang)
    return download.send(data, fmt, f"{name}.{fmt}")


# ── the map page's toolbar (components/meeting.py) ────────────────────────────────────
clientside_callback(  # the download links follow the view (the URL is the state)
    ClientsideFunction("meeting", "links"),
    Output(ids.MAP_PNG, "href"), Output(ids.MAP_SVG, "href"),
    Output(ids.RANKING_CSV, "href"), Output(ids.RANKING_XLSX, "href"),
    Output(ids.PRESENT, "href"), Output(ids.PROFILE_CSV, "href"),
    Output(ids.PROFILE_XLSX, "href"),
    Input(shell_ids.URL, "search"),
)


@callback(
    Output(ids.BRIEF_JOB, "data"), Output(ids.BRIEF_POLL, "disabled"),
    Output(ids.BRIEF_RESULT, "children"), Output(ids.BRIEF_BOX, "style"),
    Input(ids.BRIEF, "n_clicks"), State(shell_ids.URL, "search"),
    prevent_initial_call=True,
)
def start_map_brief(n_clicks, search):
    """The brief of the area in view (the country, a province or a district), for the
    round, k and classes the map shows, in the user's language."""
    lang, scope = current_lang(), current_scope()
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    try:
        state = parse_state(query_params({k: v[0] for k, v in
                                          parse_qs((search or "").lstrip("?")).items()}))
        options = BriefOptions(state.area or "TH", state.round, state.k, state.classes, lang)
        job_id = start_brief(scope, options)
    except (MapParamError, BriefError, jobs.JobsUnavailable) as err:
        return None, True, dbc_alert(f"{t('meeting.failed', lang)}: {err}"), {"display": "none"}
    return job_id, False, None, {"display": "block"}


@callback(
    Output(ids.BRIEF_PROGRESS, "value"), Output(ids.BRIEF_LABEL, "children"),
    Output(ids.BRIEF_RESULT, "children", allow_duplicate=True),
    Output(ids.BRIEF_POLL, "disabled", allow_duplicate=True),
    Output(ids.BRIEF_BOX, "style", allow_duplicate=True),
    Input(ids.BRIEF_POLL, "n_intervals"), State(ids.BRIEF_JOB, "data"),
    prevent_initial_call=True,
)
def poll_map_brief(_n, job_id):
    lang = current_lang()
    if not job_id:
        raise dash.exceptions.PreventUpdate
    try:
        status = jobs.status(job_id, owner=jobs.current_owner())
    except (jobs.JobNotFound, jobs.JobsUnavailable) as err:
        return 0, "", dbc_alert(f"{t('meeting.failed', lang)}: {err}"), True, {"display": "none"}
    if status.state == "failed":
        log.warning("brief job %s failed: %s", job_id, status.error)
        return 0, "", dbc_alert(t("meeting.failed", lang)), True, {"display": "none"}
    if status.state == "done":
        link = html.A(f"{t('meeting.ready', lang)}: {status.result['filename']}",
                      href=f"/briefs/{job_id}.pdf", id=ids.BRIEF_DOWNLOAD,
                      className="btn btn-sm btn-success", download="")
        return 100, "", link, True, {"display": "none"}
    pct = int(100 * (status.progress or 0))
    return pct, f"{t('meeting.working', lang)} {pct}%", dash.no_update, False, {"display": "block"}


def dbc_alert(text_: str):
    return dbc.Alert(text_, color="danger", className="py-1 px-2 small mb-0",
                     id=ids.BRIEF_ERROR)


def profile_table(fmt: str):
    """The selected area's profile (the side panel's dimension and indicator tables)."""
    if fmt not in ("csv", "xlsx"):
        flask.abort(404)
    view, scope, lang = _view(ranking_all=False)
    state = view["state"]
    with scoped(scope) as conn:
        rounds = list_rounds(conn)
        current = next(r for r in rounds if r.year_be == state.round)
        prev = previous_round(rounds, current)
        profile = mpi.area_profile(conn, scope, view["catalogue"], state.focus,
                                   round_id=current.round_id,
                                   previous_round_id=prev.round_id if prev else None, k=state.k)
    if profile is None:
        flask.abort(404)

    def pct(v):
        return None if v is None else round(100 * v, 1)

    def pp(now, before):
        return None if now is None or before is None else round(100 * (now - before), 1)

    rows = [{"kind": t("map.dimension", lang), "code": d["code"],
             "name": pick(d["name_th"], d["name_en"], lang), "deprived": d["deprived"],
             "share": pct(d["share"]), "change": pp(d["share"], d["share_before"]),
             "contribution": pct(d["contribution"])} for d in profile["dimensions"]]
    rows += [{"kind": t("map.indicator", lang), "code": i["code"],
              "name": pick(i["text_th"], i["text_en"], lang), "deprived": i["deprived"],
              "share": pct(i["share"]), "change": pp(i["share"], i["share_before"]),
              "contribution": pct(i["contribution"])} for i in profile["indicators"]]
    change = t("map.panel.change", lang) + (f" {round_label(prev.year_be, lang)}" if prev else "")
    cols = [("kind", t("map.dimension", lang) + " / " + t("map.indicator", lang)),
            ("code", "code"), ("name", t("map.export.name", lang)),
            ("deprived", t("map.panel.deprived", lang)), ("share", "%"),
            ("change", f"{change} (pp)"),
            ("contribution", t("map.panel.contribution", lang) + f" (k = {format_k(state.k)}, %)")]
    name = pick(profile["name_th"], profile["name_en"], lang)
    notes = [(t("map.area", lang), name), *_filters(view, lang)[1:]]
    data = to_csv_bytes(cols, rows) if fmt == "csv" else to_xlsx_bytes(
        cols, rows, sheet_title=name[:31], notes=notes)
    _audit(scope, "area_profile", fmt, view)
    label = t("map.export.profile_file", lang)
    return download.send(data, fmt, sm.file_name(name, str(state.round), label, ext=fmt))


def register_routes(server: flask.Flask) -> None:
    """The map page's downloads: the guard lets exactly the map's roles fetch them."""
    auth.add_download(server, "/export/map.<fmt>", "export_map", map_image, "/map")
    auth.add_download(server, "/export/ranking.<fmt>", "export_ranking", ranking_table, "/map")
    auth.add_download(server, "/export/profile.<fmt>", "export_profile", profile_table, "/map")
    auth.add_download(server, "/briefs/<job_id>.pdf", "brief_file", _brief_file, "/map")


__all__ = ["BriefError", "register_routes", "start_brief"]
