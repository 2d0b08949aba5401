"""Flask-level hooks of the dashboard: geometry routes, error pages, sign-in guard."""

from __future__ import annotations

import logging

import dash
import flask
from werkzeug.exceptions import HTTPException

from chipao.settings import current
from chipao.web import auth, request_checks
from chipao.web.cache import install_shared_tables
from chipao.web.jobs import JobsUnavailable
from geodata.serve import register_geometry_routes
from queries.errors import UNAVAILABLE, database_unavailable

log = logging.getLogger("chipao")


def install_server_hooks(app: dash.Dash) -> None:
    server: flask.Flask = app.server
    server.secret_key = current().security.secret_key or None
    server.config["MAX_CONTENT_LENGTH"] = current().security.max_upload_mb * 1024 * 1024

    auth.install(app)  # first: the guard must see every request, these routes included
    request_checks.install(app)  # malformed input: 400 before the guard parses anything

    register_geometry_routes(server)

    install_shared_tables()  # Redis behind the geometry and aggregate caches, if set

    @server.errorhandler(Exception)
    def no_tracebacks(err: Exception):
        """Users never see a stack trace; the log keeps it."""
        if isinstance(err, HTTPException):
            return flask.jsonify(error=err.name, message=err.description), err.code
        if database_unavailable(err):  # restarting or unreachable: the pool reconnects
            log.warning("database unavailable: %s", str(err).splitlines()[0])
            return _unavailable(" / ".join(UNAVAILABLE))
        if isinstance(err, JobsUnavailable):
            return _unavailable(str(err))
        log.exception("unhandled error")
        return flask.jsonify(error="Internal error",
                             message="เกิดข้อผิดพลาดภายในระบบ / An internal error occurred"), 500


def _unavailable(message: str) -> flask.Response:
    """503 with a sentence: a page for a browser, JSON for the Dash renderer."""
    req = flask.request
    if req.method == "GET" and "text/html" in req.headers.get("Accept", ""):
        from markupsafe import escape

        body = (f'<!doctype html><html lang="th"><meta charset="utf-8">'
                f'<meta http-equiv="refresh" content="10"><title>ชี้เป้า Chipao</title>'
                f'<p id="unavailable" style="font-family:Sarabun,sans-serif;margin:2rem">'
                f'{escape(message)}</p></html>')
        response = flask.Response(body, status=503, mimetype="text/html")
    else:
        response = flask.jsonify(error="unavailable", message=message)
        response.status_code = 503
    response.headers["Retry-After"] = "10"
    return response
