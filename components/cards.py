"""Small, reusable presentation blocks (no SQL)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


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
