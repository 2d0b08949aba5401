"""Chipao dashboard: the Dash application (``python -m chipao serve`` runs it)."""

from __future__ import annotations

import dash

from chipao.settings import ROOT
from chipao.web.app import install_server_hooks
from chipao.web.session import current_scope
from components.shell import shell_layout
from queries.db import scoped
from queries.rounds import list_rounds


def layout():
    """The shell, built per request with the survey rounds the user's store holds."""
    with scoped(current_scope()) as conn:
        rounds = list_rounds(conn)
    return shell_layout([r.year_be for r in rounds])


def create_app() -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        title="ชี้เป้า Chipao",
        update_title=None,
        serve_locally=True,  # offline networks: every script and style from this server
        suppress_callback_exceptions=True,
        compress=True,  # gzip Plotly's 4.8 MB script and callback responses
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = layout
    install_server_hooks(app)
    return app


app = create_app()
server = app.server
