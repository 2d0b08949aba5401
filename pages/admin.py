"""/admin — the audit log (filter by user, action and dates; export CSV) and the list
of accounts. Administrators only: the guard (chipao.web.auth.PAGE_ROLES) refuses the page
and its callbacks to every other role, and the queries check the role again."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, callback, dcc, html

from chipao.domain.exports import csv_text
from chipao.web.session import current_scope
from components.formatting import BE_OFFSET, bangkok, fmt_date, fmt_datetime, fmt_int
from components.i18n import Lang, current_lang, t
from pages import admin_ids as ids
from queries import audit, audit_log, users
from queries.db import scoped

dash.register_page(__name__, path="/admin", name="admin", nav_key="nav.admin", order=90,
                   title="ผู้ดูแลระบบ · Admin — ชี้เป้า")

PAGE_SIZE = 200
def _details(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) if value else ""


_DMY = re.compile(r"\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*")


def parse_date(value: str | None, lang: Lang) -> date | None:
    """A typed day/month/year in the user's calendar (Thai: Buddhist era, 2/12/2569;
    English: Gregorian, 2/12/2026); empty is no limit. ValueError when it is no date."""
    if value is None or not str(value).strip():
        return None
    m = _DMY.fullmatch(str(value))
    if not m:
        raise ValueError(value)
    day, month, year = (int(g) for g in m.groups())
    # a year in the other calendar (2026 in Thai mode, 2569 in English) is refused
    # rather than read as a date 543 years away
    if (year >= BE_OFFSET + 1900) != (lang == "th"):
        raise ValueError(value)
    return date(year - BE_OFFSET if lang == "th" else year, month, day)


def _filter(username: str | None, action: str | None, start: str | None,
            end: str | None, lang: Lang) -> audit_log.AuditFilter:
    if not isinstance(username, str | None) or not isinstance(action, str | None):
        raise ValueError("filter")
    if not isinstance(start, str | None) or not isinstance(end, str | None):
        raise ValueError("date")
    return audit_log.AuditFilter(username=(username or "").strip() or None,
                                 action=action or None, date_from=parse_date(start, lang),
                                 date_to=parse_date(end, lang))


def _log_table(rows: list[dict], lang: Lang) -> dbc.Table:
    cols = audit_log.COLUMNS
    head = html.Thead(html.Tr([html.Th(t(f"admin.col.{c}", lang)) for c in cols]))
    body = html.Tbody([
        html.Tr([html.Td(fmt_datetime(r["at"], lang), className="text-nowrap"), html.Td(r["username"]),
                 html.Td(r["role"]), html.Td(r["action"]), html.Td(r["target"] or ""),
                 html.Td(_details(r["details"]), className="small text-break"),
                 html.Td(r["ip"] or ""), html.Td(r["user_agent"] or "", className="small"),
                 html.Td(r["scope"] or ""),
                 html.Td("" if r["rows"] is None else str(r["rows"]), className="text-end")])
        for r in rows
    ])
    return dbc.Table([head, body], striped=True, hover=True, size="sm",
                     className="table-compact", id=ids.LOG_TABLE)


def _users_table(lang: Lang) -> dbc.Table:
    scope = current_scope()
    with scoped(scope) as conn:
        accounts = users.list_users(conn, scope)
    head = html.Thead(html.Tr([html.Th(t(f"admin.col.{c}", lang)) for c in
                               ("username", "role", "areas", "state", "last")]))
    body = html.Tbody([
        html.Tr([html.Td(u.username), html.Td(str(u.role)), html.Td(", ".join(u.areas) or "–"),
                 html.Td(("disabled" if u.disabled else "locked" if u.locked_until else "active")
                         + (" · demo" if u.is_demo else "")),
                 html.Td(fmt_datetime(u.last_login_at, lang))])
        for u in accounts
    ])
    return dbc.Table([head, body], size="sm", className="table-compact", id=ids.USERS_TABLE)


def _date_field(field_id: str, label: str, lang: Lang) -> list:
    # the label says how to write a date too (the hint below is not tied to the field:
    # dbc.Input takes no aria-describedby)
    return [dbc.Label([label, html.Span(f" ({t('admin.date_hint', lang)})", className="visually-hidden")],
                      html_for=field_id),
            dbc.Input(id=field_id, type="text", inputMode="numeric", maxLength=10,
                      placeholder=t("admin.date_placeholder", lang), debounce=True,
                      autoComplete="off")]


def layout(**_query) -> html.Div:
    lang = current_lang()
    scope = current_scope()
    with scoped(scope) as conn:
        action_names = audit_log.actions(conn, scope)
    return html.Div([
        html.H1(t("admin.title", lang), className="page-title"),
        html.P(t("admin.subtitle", lang), className="page-subtitle"),
        dbc.Row([
            dbc.Col([dbc.Label(t("admin.user", lang), html_for=ids.USER),
                     dbc.Input(id=ids.USER, type="text", maxLength=40, debounce=True)], md=3),
            dbc.Col([dbc.Label(t("admin.action", lang), html_for=ids.ACTION),
                     dcc.Dropdown(id=ids.ACTION, options=action_names,
                                  placeholder=t("admin.any", lang))], md=3),
            # dates typed in the user's calendar (B.E. in Thai): Dash's DatePickerRange
            # shows Gregorian years only, and its ARIA is broken (aria-expanded on a
            # role-less div, an aria-label on a bare <a>, English-only labels)
            dbc.Col(_date_field(ids.DATE_FROM, t("admin.date_from", lang), lang), md=2),
            dbc.Col(_date_field(ids.DATE_TO, t("admin.date_to", lang), lang), md=2),
            dbc.Col([dbc.Button(t("admin.apply", lang), id=ids.APPLY, color="primary",
                                className="me-2"),
                     dbc.Button(t("admin.export", lang), id=ids.EXPORT, color="secondary",
                                outline=True)], md=2, className="d-flex align-items-end"),
            dbc.Col(html.Div(t("admin.date_hint", lang), id=ids.DATE_HINT, className="form-text mt-0",
                             **{"aria-hidden": "true"}), md={"size": 4, "offset": 6}),
        ], className="g-2 mb-3"),
        html.Div(id=ids.COUNT, className="small text-muted mb-1"),
        dcc.Loading(html.Div(id=ids.LOG)),
        dcc.Download(id=ids.DOWNLOAD),
        html.H2(t("admin.users", lang), className="h5 mt-4"),
        html.P(t("admin.users_note", lang), className="small text-muted"),
        _users_table(lang),
    ])


@callback(
    Output(ids.LOG, "children"),
    Output(ids.COUNT, "children"),
    Input(ids.APPLY, "n_clicks"),
    Input(ids.USER, "value"),
    Input(ids.ACTION, "value"),
    Input(ids.DATE_FROM, "value"),
    Input(ids.DATE_TO, "value"),
)
def show_log(_n, username, action, start, end):
    lang = current_lang()
    scope = current_scope()
    try:
        f = _filter(username, action, start, end, lang)
    except ValueError:
        return dbc.Alert(t("admin.bad_date", lang), color="danger", id=ids.BAD_DATE), ""
    with scoped(scope) as conn:
        total = audit_log.count(conn, scope, f)
        rows = audit_log.search(conn, scope, f, limit=PAGE_SIZE)
    shown = t("admin.shown", lang).format(shown=fmt_int(len(rows)), total=fmt_int(total))
    if f.date_from or f.date_to:
        shown += " · " + t("admin.period", lang).format(start=fmt_date(f.date_from, lang),
                                                        end=fmt_date(f.date_to, lang))
    return _log_table(rows, lang), shown


@callback(
    Output(ids.DOWNLOAD, "data"),
    Input(ids.EXPORT, "n_clicks"),
    State(ids.USER, "value"),
    State(ids.ACTION, "value"),
    State(ids.DATE_FROM, "value"),
    State(ids.DATE_TO, "value"),
    prevent_initial_call=True,
)
def export_log(_n, username, action, start, end):
    scope = current_scope()
    try:
        f = _filter(username, action, start, end, current_lang())
    except ValueError:
        return dash.no_update
    rows = []
    with scoped(scope) as conn:
        for r in audit_log.export(conn, scope, f):
            # a file for machines as well as people: ISO 8601, Bangkok time with its offset
            rows.append([bangkok(r["at"]).isoformat(timespec="seconds"), r["username"], r["role"], r["action"],
                         r["target"] or "", _details(r["details"]), r["ip"] or "",
                         r["user_agent"] or "", r["scope"] or "",
                         "" if r["rows"] is None else r["rows"]])
        n = len(rows)
        audit.record(conn, scope, "export", "audit_log", {"filters": f.as_dict(), "rows": n},
                     _request_ip(), rows=n)
    stamp = bangkok(datetime.now(UTC)).strftime("%Y%m%d-%H%M")
    # BOM (Thai in Excel); usernames and targets are user input: formula cells escaped
    return dcc.send_string(csv_text(audit_log.COLUMNS, rows), f"chipao-audit-{stamp}.csv",
                           type="text/csv")


def _request_ip() -> str | None:
    try:
        return flask.request.remote_addr
    except RuntimeError:
        return None
