"""/admin — the audit log (filter by user, action and dates; export CSV) and the list
of accounts. Administrators only: the guard (chipao.web.auth.PAGE_ROLES) refuses the page
and its callbacks to every other role, and the queries check the role again."""

from __future__ import annotations

import json
from datetime import date, datetime

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, callback, dcc, html

from chipao.domain.exports import csv_text
from chipao.web.session import current_scope
from components.i18n import current_lang, fmt_int, pick
from queries import audit, audit_log, users
from queries.db import scoped

dash.register_page(__name__, path="/admin", name="admin", nav_key="nav.admin", order=90,
                   title="ผู้ดูแลระบบ · Admin — ชี้เป้า")

PAGE_SIZE = 200
TEXT = {
    "title": ("บันทึกการเข้าถึง (Audit log)", "Audit log"),
    "subtitle": ("การเข้าสู่ระบบ การเปิดดูและค้นหาข้อมูลครัวเรือน การส่งออก การแก้ไขแผน "
                 "และการจัดการผู้ใช้ ทุกรายการถูกบันทึกแบบแก้ไขไม่ได้",
                 "Sign-ins, household views and searches, exports, plan changes and user "
                 "administration, recorded append-only"),
    "user": ("ผู้ใช้ (ขึ้นต้นด้วย)", "User (starts with)"),
    "action": ("การกระทำ", "Action"),
    "dates": ("ช่วงวันที่", "Dates"),
    "apply": ("ค้นหา", "Search"),
    "export": ("ส่งออก CSV", "Export CSV"),
    "any": ("ทั้งหมด", "Any"),
    "shown": ("แสดง {shown} จาก {total} รายการ (ล่าสุดก่อน)", "Showing {shown} of {total} (newest first)"),
    "users": ("บัญชีผู้ใช้", "Accounts"),
    "users_note": ("จัดการบัญชีด้วยคำสั่ง chipao user … (create, reset-password, disable, enable)",
                   "Manage accounts with chipao user … (create, reset-password, disable, enable)"),
    "at": ("เวลา (ไทย)", "Time (Thailand)"),
    "username": ("ผู้ใช้", "User"),
    "role": ("บทบาท", "Role"),
    "target": ("เป้าหมาย", "Target"),
    "details": ("รายละเอียด", "Details"),
    "ip": ("IP", "IP"),
    "user_agent": ("โปรแกรมที่ใช้", "User agent"),
    "scope": ("ขอบเขต", "Scope"),
    "rows": ("จำนวนแถว", "Rows"),
    "areas": ("พื้นที่", "Areas"),
    "state": ("สถานะ", "State"),
    "last": ("เข้าระบบล่าสุด", "Last sign-in"),
    "bad_date": ("วันที่ไม่ถูกต้อง", "Invalid date"),
}


def _t(key: str, lang: str) -> str:
    th, en = TEXT[key]
    return pick(th, en, lang)


def _fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "–"


def _details(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) if value else ""


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _filter(username: str | None, action: str | None, start: str | None,
            end: str | None) -> audit_log.AuditFilter:
    return audit_log.AuditFilter(username=(username or "").strip() or None,
                                 action=action or None, date_from=_parse_date(start),
                                 date_to=_parse_date(end))


def _log_table(rows: list[dict], lang: str) -> dbc.Table:
    cols = audit_log.COLUMNS
    head = html.Thead(html.Tr([html.Th(_t(c, lang) if c in TEXT else c) for c in cols]))
    body = html.Tbody([
        html.Tr([html.Td(_fmt_time(r["at"]), className="text-nowrap"), html.Td(r["username"]),
                 html.Td(r["role"]), html.Td(r["action"]), html.Td(r["target"] or ""),
                 html.Td(_details(r["details"]), className="small text-break"),
                 html.Td(r["ip"] or ""), html.Td(r["user_agent"] or "", className="small"),
                 html.Td(r["scope"] or ""),
                 html.Td("" if r["rows"] is None else str(r["rows"]), className="text-end")])
        for r in rows
    ])
    return dbc.Table([head, body], striped=True, hover=True, size="sm",
                     className="table-compact", id="admin-log-table")


def _users_table(lang: str) -> dbc.Table:
    scope = current_scope()
    with scoped(scope) as conn:
        accounts = users.list_users(conn, scope)
    head = html.Thead(html.Tr([html.Th(_t(c, lang)) for c in
                               ("username", "role", "areas", "state", "last")]))
    body = html.Tbody([
        html.Tr([html.Td(u.username), html.Td(str(u.role)), html.Td(", ".join(u.areas) or "–"),
                 html.Td(("disabled" if u.disabled else "locked" if u.locked_until else "active")
                         + (" · demo" if u.is_demo else "")),
                 html.Td(_fmt_time(u.last_login_at))])
        for u in accounts
    ])
    return dbc.Table([head, body], size="sm", className="table-compact", id="admin-users-table")


def layout(**_query) -> html.Div:
    lang = current_lang()
    scope = current_scope()
    with scoped(scope) as conn:
        action_names = audit_log.actions(conn, scope)
    return html.Div([
        html.H1(_t("title", lang), className="page-title"),
        html.P(_t("subtitle", lang), className="page-subtitle"),
        dbc.Row([
            dbc.Col([dbc.Label(_t("user", lang), html_for="admin-user"),
                     dbc.Input(id="admin-user", type="text", maxLength=40, debounce=True)], md=3),
            dbc.Col([dbc.Label(_t("action", lang), html_for="admin-action"),
                     dcc.Dropdown(id="admin-action", options=action_names,
                                  placeholder=_t("any", lang))], md=3),
            dbc.Col([dbc.Label(_t("dates", lang), html_for="admin-dates"),
                     dcc.DatePickerRange(id="admin-dates", display_format="YYYY-MM-DD",
                                         clearable=True)], md=4),
            dbc.Col([dbc.Button(_t("apply", lang), id="admin-apply", color="primary",
                                className="me-2"),
                     dbc.Button(_t("export", lang), id="admin-export", color="secondary",
                                outline=True)], md=2, className="d-flex align-items-end"),
        ], className="g-2 mb-3"),
        html.Div(id="admin-count", className="small text-muted mb-1"),
        dcc.Loading(html.Div(id="admin-log")),
        dcc.Download(id="admin-download"),
        html.H2(_t("users", lang), className="h5 mt-4"),
        html.P(_t("users_note", lang), className="small text-muted"),
        _users_table(lang),
    ])


@callback(
    Output("admin-log", "children"),
    Output("admin-count", "children"),
    Input("admin-apply", "n_clicks"),
    Input("admin-user", "value"),
    Input("admin-action", "value"),
    Input("admin-dates", "start_date"),
    Input("admin-dates", "end_date"),
)
def show_log(_n, username, action, start, end):
    lang = current_lang()
    scope = current_scope()
    try:
        f = _filter(username, action, start, end)
    except ValueError:
        return dbc.Alert(_t("bad_date", lang), color="danger"), ""
    with scoped(scope) as conn:
        total = audit_log.count(conn, scope, f)
        rows = audit_log.search(conn, scope, f, limit=PAGE_SIZE)
    shown = _t("shown", lang).format(shown=fmt_int(len(rows)), total=fmt_int(total))
    return _log_table(rows, lang), shown


@callback(
    Output("admin-download", "data"),
    Input("admin-export", "n_clicks"),
    State("admin-user", "value"),
    State("admin-action", "value"),
    State("admin-dates", "start_date"),
    State("admin-dates", "end_date"),
    prevent_initial_call=True,
)
def export_log(_n, username, action, start, end):
    scope = current_scope()
    try:
        f = _filter(username, action, start, end)
    except ValueError:
        return dash.no_update
    rows = []
    with scoped(scope) as conn:
        for r in audit_log.export(conn, scope, f):
            rows.append([_fmt_time(r["at"]), r["username"], r["role"], r["action"],
                         r["target"] or "", _details(r["details"]), r["ip"] or "",
                         r["user_agent"] or "", r["scope"] or "",
                         "" if r["rows"] is None else r["rows"]])
        n = len(rows)
        audit.record(conn, scope, "export", "audit_log", {"filters": f.as_dict(), "rows": n},
                     _request_ip(), rows=n)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    # BOM (Thai in Excel); usernames and targets are user input: formula cells escaped
    return dcc.send_string(csv_text(audit_log.COLUMNS, rows), f"chipao-audit-{stamp}.csv",
                           type="text/csv")


def _request_ip() -> str | None:
    try:
        return flask.request.remote_addr
    except RuntimeError:
        return None
