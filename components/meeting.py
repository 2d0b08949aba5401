"""The meeting toolbar of a page: the brief (a background job with a progress bar) and
the downloads of what the page shows (map PNG/SVG, ranking CSV/XLSX). Layout only; the
callbacks and routes are in pages/map_exports.py. Hidden in print (assets/50-meeting.css)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.i18n import Lang, t


def word(key: str, lang: Lang) -> str:
    """A toolbar word (`meeting.*` in the catalogues) by its short key: the toolbar's
    links are named by the key that is also their id suffix."""
    return t(f"meeting.{key}", lang)


def toolbar(prefix: str, lang: Lang, search: str = "") -> html.Div:
    """Buttons and links with ids `<prefix>-…` (the links carry the page's query)."""
    def link(key: str, path: str) -> html.A:
        return html.A(word(key, lang), href=f"{path}{search}", id=f"{prefix}-{key}",
                      className="btn btn-sm btn-outline-secondary", download="")

    return html.Div([
        dbc.Button(t("meeting.brief", lang), id=f"{prefix}-brief", size="sm", color="primary",
                   className="me-2"),
        html.Span(t("meeting.downloads", lang) + ":", className="small text-muted me-1"),
        link("map_png", "/export/map.png"), link("map_svg", "/export/map.svg"),
        link("ranking_csv", "/export/ranking.csv"), link("ranking_xlsx", "/export/ranking.xlsx"),
        link("profile_csv", "/export/profile.csv"), link("profile_xlsx", "/export/profile.xlsx"),
        html.A(t("meeting.present", lang), href=f"/map?present=1{('&' + search[1:]) if search else ''}",
               id=f"{prefix}-present", className="btn btn-sm btn-outline-primary ms-2"),
        html.Div([dbc.Progress(id=f"{prefix}-brief-progress", value=0, striped=True,
                               animated=True, style={"height": "1.1rem"}, className="mt-2"),
                  html.Div(id=f"{prefix}-brief-label", className="small text-muted")],
                 id=f"{prefix}-brief-box", style={"display": "none"}),
        html.Div(id=f"{prefix}-brief-result", className="mt-1"),
        dcc.Store(id=f"{prefix}-brief-job"),
        dcc.Interval(id=f"{prefix}-brief-poll", interval=700, disabled=True),
    ], className="meeting-toolbar d-flex flex-wrap align-items-center gap-1 my-2",
        id=f"{prefix}-toolbar")


def print_stamp(lang: Lang, stamp_id: str, hint_id: str) -> html.Div:
    """The line printed at the foot of every page (filled from the figure's caption by
    assets/50-meeting.js), and the key help shown in presentation mode; the page names
    both (its ids module)."""
    return html.Div([
        html.Div(id=stamp_id, className="meeting-print-stamp"),
        html.Div(t("meeting.present_keys", lang), className="meeting-present-hint", id=hint_id),
    ])
