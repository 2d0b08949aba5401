"""The frame around every page: navigation, survey-round selector, language switch,
the signed-in user, and the footer with sources and boundary attribution.

The survey round lives in the URL (``?round=2566``) so a shared link reproduces the
view; the language lives in a cookie (a preference, not part of the view).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    clientside_callback,
    dcc,
    html,
)

from components import shell_ids as ids
from components.i18n import STRINGS, current_lang, round_label, t
from components.loading import busy

NAV_ORDER = ["/", "/map", "/households", "/plans", "/centres", "/admin"]


def _nav_items(lang: str, allowed: Collection[str] | None) -> list:
    pages = {p["path"]: p for p in dash.page_registry.values() if p.get("nav", True)}
    items = []
    for path in NAV_ORDER:
        page = pages.get(path)
        if page is None or (allowed is not None and path not in allowed):
            continue
        items.append(dbc.NavItem(dbc.NavLink(
            t(page["nav_key"], lang), href=path, active="exact", id={"type": ids.NAV, "path": path},
        )))
    return items


def role_label(user: Any, lang: str) -> str:
    """The signed-in user's role (`role.*` in the catalogues) and their areas' names."""
    key = f"role.{user.role}"
    label = t(key, lang) if key in STRINGS else str(user.role)
    names = user.names_en if lang == "en" else user.names_th
    return f"{label} {', '.join(names)}" if names else label


def _user_menu(lang: str, user: Any, csrf: str) -> html.Div:
    if user is None:  # an anonymous visitor (public aggregates): offer the sign-in
        return html.Div(html.A(t("nav.signin", lang), href="/login", id=ids.SIGNIN,
                               className="btn btn-sm btn-outline-light"))
    return html.Div(
        [
            html.Span(f"{user.display_name or user.username} · {role_label(user, lang)}",
                      className="shell-user me-2", id=ids.USER),
            # a POST with the session's CSRF token: a cross-site link or image cannot
            # sign anyone out
            html.Form(
                [dcc.Input(type="hidden", name="csrf", value=csrf, id=ids.SIGNOUT_CSRF),
                 html.Button(t("nav.signout", lang), type="submit", id=ids.SIGNOUT,
                             className="btn btn-sm btn-outline-light")],
                method="POST", action="/logout", className="d-inline m-0", id=ids.SIGNOUT_FORM,
            ),
        ],
        className="d-flex align-items-center",
    )


def shell_layout(rounds: Sequence[int], user: Any = None, csrf: str = "",
                 allowed_paths: Collection[str] | None = None) -> html.Div:
    """The page frame, from what the app reads per request (components run no queries
    and read no session): `rounds` are the survey years (B.E.) the user may pick, oldest
    first; `user` the signed-in user (None: an anonymous visitor), `csrf` the session's
    token for the sign-out form, `allowed_paths` the pages the navigation may offer
    (None: every page)."""
    lang = current_lang()
    options = [{"label": round_label(year_be, lang), "value": year_be} for year_be in rounds]
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            html.A("ข้ามไปยังเนื้อหา / Skip to content", href=f"#{ids.MAIN}", className="visually-hidden-focusable"),
            dbc.Navbar(
                dbc.Container(
                    [
                        dbc.NavbarBrand(
                            [html.Span(t("app.name", lang), className="brand-name"),
                             html.Span(t("app.tagline", lang), className="brand-tagline d-none d-xxl-inline")],
                            href="/", className="d-flex align-items-baseline gap-2",
                        ),
                        dbc.NavbarToggler(id=ids.TOGGLER),
                        dbc.Collapse(
                            [
                                dbc.Nav(_nav_items(lang, allowed_paths), navbar=True, className="me-auto"),
                                html.Div(
                                    [
                                        html.Label(t("shell.round", lang), htmlFor=ids.ROUND,
                                                   className="shell-label me-1"),
                                        dcc.Dropdown(
                                            id=ids.ROUND, options=options,
                                            value=options[-1]["value"] if options else None,
                                            clearable=False, searchable=False,
                                            className="shell-round me-3",
                                        ),
                                        dbc.ButtonGroup(
                                            [
                                                dbc.Button("ไทย", id=ids.LANG_TH, size="sm",
                                                           outline=lang != "th", color="light"),
                                                dbc.Button("EN", id=ids.LANG_EN, size="sm",
                                                           outline=lang != "en", color="light"),
                                            ],
                                            className="me-3", id=ids.LANG,
                                        ),
                                        _user_menu(lang, user, csrf),
                                    ],
                                    className="d-flex align-items-center flex-wrap gap-1",
                                ),
                            ],
                            id=ids.COLLAPSE, navbar=True, is_open=False,
                        ),
                    ],
                    fluid=True,
                ),
                color="primary", dark=True, className="shell-navbar", expand="lg",
            ),
            # a page that takes longer than ~300 ms to draw says so
            html.Main(dbc.Container(busy(dash.page_container, {"_pages_content": "children"},
                                         lang, component_id=ids.BUSY),
                                    fluid=True, className="py-3"), id=ids.MAIN),
            html.Footer(
                dbc.Container(
                    [html.Span(t("attribution", lang), id=ids.ATTRIBUTION),
                     html.Span(" · ชี้เป้า Chipao", className="text-muted")],
                    fluid=True,
                ),
                className="shell-footer py-2",
            ),
        ],
    )


clientside_callback(  # assets/20-chipao.js: the round selector and the address's
    # round in step, in the browser (no round trip on every address change; and a page
    # callback listening to the selector is not held back by a pending server answer)
    ClientsideFunction("chipao", "syncRound"),
    Output(ids.URL, "search"),
    Output(ids.ROUND, "value"),
    Input(ids.URL, "search"),
    Input(ids.ROUND, "value"),
    State(ids.ROUND, "options"),
)
clientside_callback(  # assets/20-chipao.js: navigation keeps the chosen round
    ClientsideFunction("chipao", "roundInNav"),
    Output({"type": ids.NAV, "path": ALL}, "href"),
    Input(ids.ROUND, "value"),
    State({"type": ids.NAV, "path": ALL}, "id"),
)


clientside_callback(  # assets/20-chipao.js: sets the cookie and reloads
    ClientsideFunction("chipao", "setLanguage"),
    Output(ids.LANG, "className"),
    Input(ids.LANG_TH, "n_clicks"),
    Input(ids.LANG_EN, "n_clicks"),
    prevent_initial_call=True,
)

clientside_callback(  # assets/20-chipao.js: the phone menu closes once a page is chosen
    ClientsideFunction("chipao", "navMenu"),
    Output(ids.COLLAPSE, "is_open"),
    Input(ids.TOGGLER, "n_clicks"),
    Input(ids.URL, "pathname"),
    Input({"type": ids.NAV, "path": ALL}, "n_clicks"),
    State(ids.COLLAPSE, "is_open"),
    prevent_initial_call=True,
)
