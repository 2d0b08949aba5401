"""Chipao dashboard: the Dash application (``python -m chipao serve`` runs it)."""

from __future__ import annotations

import dash

from chipao.config import ROOT
from chipao.webapp import install_server_hooks
from components.map_view import ASSETS_IGNORE
from components.shell import shell_layout


def create_app() -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        assets_ignore=ASSETS_IGNORE,  # MapLibre's worker is served, never run as a page script
        title="ชี้เป้า Chipao",
        update_title=None,
        serve_locally=True,  # offline networks: every script and style from this server
        suppress_callback_exceptions=True,
        compress=True,  # gzip Plotly's 4.8 MB script and callback responses
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell_layout
    install_server_hooks(app)
    return app


app = create_app()
server = app.server
