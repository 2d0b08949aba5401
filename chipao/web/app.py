"""Flask-level hooks of the dashboard: geometry routes, error pages, sign-in guard."""

from __future__ import annotations

import logging

import dash
import flask
from werkzeug.exceptions import HTTPException

from chipao.settings import settings
from chipao.web import auth
from chipao.web.cache import install_shared_tables
from geodata.serve import register_geometry_routes

log = logging.getLogger("chipao")


def install_server_hooks(app: dash.Dash) -> None:
    server: flask.Flask = app.server
    server.secret_key = settings().secret_key or None
    server.config["MAX_CONTENT_LENGTH"] = settings().max_upload_mb * 1024 * 1024

    auth.install(app)  # first: the guard must see every request, these routes included

    register_geometry_routes(server)

    install_shared_tables()  # Redis behind the geometry and aggregate caches, if set

    @server.errorhandler(Exception)
    def no_tracebacks(err: Exception):
        """Users never see a stack trace; the log keeps it."""
        if isinstance(err, HTTPException):
            return flask.jsonify(error=err.name, message=err.description), err.code
        log.exception("unhandled error")
        return flask.jsonify(error="Internal error",
                             message="เกิดข้อผิดพลาดภายในระบบ / An internal error occurred"), 500
