"""Chipao dashboard: the Dash application (``python -m chipao serve`` runs it)."""

from __future__ import annotations

import dash
import flask

from chipao.settings import ROOT, Settings, install
from chipao.web.app import install_server_hooks
from chipao.web.auth import csrf_token
from chipao.web.lang import current_lang
from chipao.web.session import current_scope
from components.map_view import ASSETS_IGNORE
from components.shell import shell_layout
from queries.db import configure, scoped
from queries.rounds import list_rounds


def layout():
    """The shell, built per request from the request's user (set on flask.g by the
    sign-in guard) and the survey rounds the store holds."""
    with scoped(current_scope()) as conn:
        rounds = list_rounds(conn)
    user = getattr(flask.g, "user", None)
    return shell_layout([r.year_be for r in rounds], user=user,
                        csrf=csrf_token() if user is not None else "",
                        allowed_paths=getattr(flask.g, "allowed_paths", None))


class ChipaoDash(dash.Dash):
    def interpolate_index(self, **kwargs) -> str:
        """The page in the user's language: `<html lang>` says it to screen readers,
        hyphenation and font selection (WCAG 3.1.1)."""
        page = super().interpolate_index(**kwargs)
        return page.replace("<html>", f'<html lang="{current_lang()}">', 1)


def create_app(settings: Settings | None = None) -> dash.Dash:
    """The dashboard. With `settings`, these are the process's (and its engines'); without,
    the environment's, read on first use (chipao.settings.current)."""
    if settings is not None:
        configure(install(settings).database)
    app = ChipaoDash(
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
    app.layout = layout
    install_server_hooks(app)
    return app


app = create_app()
server = app.server

# the downloads and the brief job use the map page's own view: after the pages exist
from pages import map_ahead, overview_exports  # noqa: E402
from pages.centres import register_routes as register_centres_routes  # noqa: E402
from pages.map_exports import register_routes  # noqa: E402
from pages.plans_exports import register_routes as register_plans_routes  # noqa: E402

register_routes(server)
map_ahead.register_routes(server)
overview_exports.register_routes(server)
register_plans_routes(server)
register_centres_routes(server)
