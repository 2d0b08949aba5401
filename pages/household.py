"""/households/<house_id> — one household's record (the electronic family notebook).

Every view is audited ('household_view') in the transaction that reads it; a house
outside the user's scope (or unknown) is refused with a message and audited
('refused'). Identifiers are masked; a stated reason reveals them (chipao.web.privacy,
audited as 'reveal_identifier')."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, callback, dcc, html

from chipao.domain.household_filters import Refused
from chipao.domain.household_record import HouseholdRecord
from chipao.domain.privacy import MAX_REASON, RevealRefused, may_reveal
from chipao.domain.scope import Scope
from chipao.web.privacy import reveal
from chipao.web.session import current_scope
from components import notebook
from components.i18n import Lang, current_lang, pick, round_label, t
from geodata.serve import geometry_url
from pages import household_ids as ids
from queries import households as hh
from queries.db import scoped
from queries.household_record import household_record

dash.register_page(__name__, path_template="/households/<house_id>", name="household",
                   nav=False, nav_key="nav.households")


def layout(house_id: str | None = None, **_query) -> html.Div:
    lang, scope = current_lang(), current_scope()
    try:
        with scoped(scope) as conn:
            rec = household_record(conn, scope, house_id)
    except Refused as refused:
        hh.record_refusal(scope, refused, "household.page", {"house_id": house_id})
        return html.Div([
            html.H1(t("rec.title", lang), className="page-title"),
            dbc.Alert([html.Strong(f"{t('hh.refused', lang)}: "), refused.text(lang)],
                      color="danger", id=ids.REFUSED),
            dcc.Link(t("hh.pick_title", lang), href="/households"),
        ])
    return _record_layout(rec, scope, lang)


def _card(title: str, body, card_id: str) -> dbc.Card:
    return dbc.Card(dbc.CardBody([html.H2(title, className="h6"), body]), className="h-100",
                    id=card_id)


def _sources(rec: HouseholdRecord, lang: Lang) -> html.Div:
    """Which rounds the results come from, and their sources."""
    seen = []
    for r in rec.rounds:
        src = pick(r["source_th"], r["source_en"], lang)
        seen.append(f"{round_label(r['year_be'], lang)}: {src}")
    return html.Div(f"{t('source', lang)}: " + " · ".join(seen), className="figure-source")


def _reveal_controls(scope: Scope, lang: Lang) -> html.Div:
    if not may_reveal(scope):
        return html.Div()
    return html.Div([
        dbc.Button(t("rec.reveal", lang), id=ids.REVEAL_OPEN, size="sm", color="warning",
                   className="mb-2"),
        dbc.Collapse([
            html.Label(t("rec.reveal_reason", lang), htmlFor=ids.REVEAL_REASON,
                       className="visually-hidden"),
            dbc.InputGroup([
                dbc.Input(id=ids.REVEAL_REASON, placeholder=t("rec.reveal_reason", lang),
                          maxLength=MAX_REASON),
                dbc.Button(t("rec.reveal_confirm", lang), id=ids.REVEAL_CONFIRM,
                           color="warning"),
            ], size="sm"),
        ], id=ids.REVEAL_FORM, is_open=False),
        html.Div(id=ids.REVEALED, className="mt-2"),
    ])


def _record_layout(rec: HouseholdRecord, scope: Scope, lang: Lang) -> html.Div:
    year = rec.latest["year_be"] if rec.latest else None
    back = f"/households?area={rec.tambon_pcode}" + (f"&round={year}" if year else "")
    return html.Div([
        dcc.Link(f"‹ {t('rec.back', lang)}", href=back, className="small", id=ids.BACK),
        notebook.header(rec, lang),
        dbc.Row([
            dbc.Col(_card(t("rec.location", lang), notebook.location_block(
                rec, lang, geometry_url(3, rec.tambon_pcode[:6])),
                          ids.LOCATION_CARD), lg=5),
            dbc.Col(_card(t("rec.members", lang), html.Div([
                html.Div(notebook.members_table(rec, lang, scope), id=ids.MEMBERS),
                html.Div(t("rec.masked_note", lang), className="figure-note mb-2"),
                _reveal_controls(scope, lang),
            ]), ids.MEMBERS_CARD), lg=7),
        ], className="g-3 my-2"),
        _card(t("rec.indicators", lang), html.Div([
            notebook.indicators_table(rec, lang),
            html.Div(t("hh.poor_rule", lang), className="figure-note"),
            _sources(rec, lang),
        ]), ids.INDICATORS_CARD),
        dbc.Row([
            dbc.Col(_card(t("rec.analysis", lang), notebook.analysis_block(rec, lang),
                          ids.ANALYSIS_CARD), lg=4),
            dbc.Col(_card(t("rec.plan", lang), notebook.plan_block(rec, lang, scope.may_update_plans),
                          ids.PLAN_CARD), lg=8),
        ], className="g-3 my-2"),
        _card(t("rec.visits", lang), notebook.visits_timeline(rec, lang), ids.VISITS_CARD),
        dcc.Store(id=ids.HOUSE, data=rec.house_id),
    ])


@callback(
    Output(ids.REVEAL_FORM, "is_open"),
    Input(ids.REVEAL_OPEN, "n_clicks"),
    State(ids.REVEAL_FORM, "is_open"),
    prevent_initial_call=True,
)
def toggle_reveal(_n, is_open):
    return not is_open


@callback(
    Output(ids.REVEALED, "children"),
    Input(ids.REVEAL_CONFIRM, "n_clicks"),
    State(ids.REVEAL_REASON, "value"),
    State(ids.HOUSE, "data"),
    prevent_initial_call=True,
)
def reveal_identifiers(_n, reason, house_id):
    """Break the glass: full names and national IDs for a stated reason (audited)."""
    lang, scope = current_lang(), current_scope()
    if not isinstance(house_id, str) or not isinstance(reason, str | None):
        return dbc.Alert(t("hh.refused", lang), color="danger")
    try:
        with scoped(scope) as conn:
            shown = reveal(conn, scope, house_id, reason or "", flask.request.remote_addr)
    except RevealRefused as err:
        return dbc.Alert(str(err), color="danger", id=ids.REVEAL_ERROR)
    rows = [html.Tr([html.Td(m["seq"]), html.Td(f"{m['first_name']} {m['last_name']}"),
                     html.Td(m["national_id"] or "–", className="font-monospace")])
            for m in shown["members"]]
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in
                               ("rec.seq", "rec.name", "rec.national_id")]))
    return html.Div([
        dbc.Alert(t("rec.revealed", lang), color="warning", className="py-1 mb-1"),
        dbc.Table([head, html.Tbody(rows)], size="sm", className="table-compact",
                  id=ids.REVEALED_TABLE),
    ])
