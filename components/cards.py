"""Small, reusable presentation blocks (no SQL)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.i18n import Lang, round_label, t


def kpi_card(title: str, value: str, detail: str | None = None, note: str | None = None,
             card_id: str | None = None) -> dbc.Card:
    """A headline figure with what it counts underneath."""
    body = [html.Div(title, className="kpi-title"), html.Div(value, className="kpi-value")]
    if detail:
        body.append(html.Div(detail, className="kpi-detail"))
    if note:
        body.append(html.Div(note, className="kpi-note"))
    return dbc.Card(dbc.CardBody(body), className="kpi-card h-100", id=card_id or "")


def source_line(label: str, text: str) -> html.Div:
    """Every figure says where its numbers come from."""
    return html.Div(f"{label}: {text}", className="figure-source")


def message(text: str, color: str = "warning", msg_id: str | None = None) -> dbc.Alert:
    return dbc.Alert(text, color=color, id=msg_id or "page-message", className="my-3")


def round_fallback_note(asked_year: int, shown_year: int, what: str, lang: Lang,
                        note_id: str) -> dbc.Alert | None:
    """Says that the page shows another round than the one asked for (the default-round
    rule of queries/rounds.py); nothing when it shows the round asked for."""
    if asked_year == shown_year:
        return None
    return dbc.Alert(t("round.fallback", lang).format(
        asked=round_label(asked_year, lang), shown=round_label(shown_year, lang), what=what),
        color="info", className="py-1 small", id=note_id)
