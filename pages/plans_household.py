"""/plans/household?house=<id> — one household's development-plan items, with the form
a tambon officer uses to record progress (status, date, note); and the callback that
saves any plan-item form (components/plan_widgets.item_status_form), wherever a page
embeds it (the household record does too).

Personal data: record roles only, through row-level security; each view is audited.
A saved update is audited and marks its tambon stale: the /plans figures include it
after the next aggregate rebuild (see queries/plans.py).
"""

from __future__ import annotations

import re
from datetime import date

import dash
import dash_bootstrap_components as dbc
import flask
from dash import MATCH, Input, Output, State, callback, dcc, html

from chipao.web.request_checks import positive_int
from chipao.web.session import current_scope, note_write
from components import plan_widgets as pw
from components.cards import message
from components.i18n import Lang, current_lang, fmt_date, round_label, t
from pages import plans_household_ids as ids
from queries import audit, plans
from queries.db import scoped
from queries.rounds import list_rounds

dash.register_page(__name__, path="/plans/household", name="plans-household",
                   nav=False, nav_key="nav.plans", order=31)

HOUSE_RE = re.compile(r"^[0-9A-Za-z-]{4,20}$")


def _ip() -> str | None:
    try:
        return flask.request.remote_addr
    except RuntimeError:
        return None


def layout(house: str | None = None, item: str | None = None, **_query) -> html.Div:
    lang = current_lang()
    scope = current_scope()
    if not scope.may_see_records:
        return message(t("plans.households_records_only", lang), "warning")
    if not house or not HOUSE_RE.match(house):
        return message(f"{t('error.bad_param', lang)}: house={house!r}", "danger")
    today = plans.bangkok_today()
    with scoped(scope) as conn:
        items = plans.household_items(conn, scope, house)
        years = {r.round_id: r.year_be for r in list_rounds(conn)}
        audit.record(conn, scope, "household_view", target=f"household:{house}",
                     details={"source": "plans.household", "items": len(items)}, ip=_ip(),
                     rows=1 if items else 0)
    if not items:
        return message(t("plans.household_none", lang).format(house=house), "warning",
                       msg_id=ids.HOUSEHOLD_NONE)
    can_update = scope.may_update_plans
    sections: list = [
        html.H1(t("plans.household_title", lang).format(house=house), className="page-title"),
        html.Div(t("plans.household_subtitle", lang), className="page-subtitle"),
        dcc.Link(t("plans.back_household", lang), href=f"/households/{house}",
                 className="d-block mb-2", id=ids.HOUSEHOLD_BACK),
    ]
    if not can_update:
        sections.append(html.Div(t("plans.read_only", lang), className="figure-note mb-2"))
    for round_id in sorted({i["round_id"] for i in items}, reverse=True):
        sections.append(html.H2(f"{t('plans.plan_of_round', lang)} {round_label(years[round_id], lang)}",
                                className="h5 mt-3"))
        sections += [html.Div(pw.item_status_form(i, lang, today=today, can_update=can_update),
                              className="plans-item-chosen" if str(i["item_id"]) == item else None)
                     for i in items if i["round_id"] == round_id]
    return html.Div(sections, id=ids.HOUSEHOLD)


def _form_date(day, month, year) -> date:
    """The date of the form's day/month/year selects (year A.D. whatever is shown)."""
    try:
        return date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        raise plans.PlanUpdateError("date_invalid", f"{day}/{month}/{year} is not a date") from None


def _error_text(err: plans.PlanUpdateError, lang: Lang) -> str:
    params = {}
    for key, value in err.params.items():
        if key in ("old", "new", "status") and value in plans.STATUSES:
            value = t(f"plans.status.{value}", lang)
        elif isinstance(value, date):
            value = fmt_date(value, lang)
        params[key] = value
    try:
        return t(f"plans.err.{err.code}", lang).format(**params)
    except (KeyError, IndexError):
        return str(err)


@callback(
    Output({"type": ids.ITEM_MESSAGE, "item": MATCH}, "children"),
    Output({"type": ids.ITEM_SUMMARY, "item": MATCH}, "children"),
    Output({"type": ids.ITEM_STATUS, "item": MATCH}, "options"),
    Output({"type": ids.ITEM_STATUS, "item": MATCH}, "value"),
    Output({"type": ids.ITEM_NOTE, "item": MATCH}, "value"),
    Input({"type": ids.ITEM_SAVE, "item": MATCH}, "n_clicks"),
    State({"type": ids.ITEM_SAVE, "item": MATCH}, "id"),
    State({"type": ids.ITEM_STATUS, "item": MATCH}, "value"),
    State({"type": ids.ITEM_DATE_DAY, "item": MATCH}, "value"),
    State({"type": ids.ITEM_DATE_MONTH, "item": MATCH}, "value"),
    State({"type": ids.ITEM_DATE_YEAR, "item": MATCH}, "value"),
    State({"type": ids.ITEM_NOTE, "item": MATCH}, "value"),
    prevent_initial_call=True,
)
def save_item_status(n_clicks, button_id, status, day, month, year, note):
    """Record the new status (queries.plans.update_item_status does every check)."""
    if not n_clicks:
        return (dash.no_update,) * 5
    lang = current_lang()
    scope = current_scope()
    # the id comes from the request: anything but a positive integer is a 400
    item_id = positive_int(button_id.get("item") if isinstance(button_id, dict) else None,
                           "item")
    try:
        on_date = _form_date(day, month, year)
        with scoped(scope) as conn:
            item = plans.update_item_status(conn, scope, item_id, status, on_date, note, ip=_ip())
        note_write()  # this user's next reads wait for a replica to replay it
    except plans.PlanUpdateError as err:
        if err.code in ("role", "not_in_scope"):
            with scoped(scope) as conn:  # the refused attempt is worth a line of its own
                audit.record(conn, scope, "refused", target=f"plan_item:{item_id}",
                             details={"reason": err.code, "status": status}, ip=_ip())
        alert = dbc.Alert(_error_text(err, lang), color="danger", className="py-1 mb-0",
                          id={"type": ids.ITEM_ERROR, "item": item_id})
        return alert, dash.no_update, dash.no_update, dash.no_update, dash.no_update
    ok = dbc.Alert(t("plans.saved", lang).format(status=t(f"plans.status.{item['status']}", lang),
                                                 date=fmt_date(on_date, lang)),
                   color="success", className="py-1 mb-0",
                   id={"type": ids.ITEM_SAVED, "item": item_id})
    # the form now stands on the saved status: saving again changes nothing
    return ok, pw.item_summary(item, lang), pw.status_options(item, lang), item["status"], ""
