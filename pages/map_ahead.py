"""GET /map/ahead?<view>: one view's map values and legend, nothing else of the page;
GET /map/ahead/drill?<view>: the same with the map spec (an area's drill-down: a new
geometry).

The map component fetches the views a user is likely to choose next (the other
dimensions and measures of the view drawn: ``values["ahead"]``, pages/map.py) after
it has painted, and draws one the moment its control is chosen; the page's callback
still runs and its answer replaces it. The route belongs to /map (chipao.web.auth:
the same roles), reads aggregates only, scoped and suppressed like the page.
"""

from __future__ import annotations

import logging

import flask

from chipao.web.session import current_scope
from components.i18n import current_lang
from pages.map import AHEAD_DRILL_PATH, AHEAD_PATH, ahead_values

log = logging.getLogger(__name__)


def _json(status: int, body: dict) -> flask.Response:
    response = flask.jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    return response


def map_ahead() -> flask.Response:
    return _answer(with_spec=False)


def map_ahead_drill() -> flask.Response:
    return _answer(with_spec=True)


def _answer(with_spec: bool) -> flask.Response:
    try:
        values = ahead_values(flask.request.args, current_scope(), current_lang(), with_spec)
    except Exception:  # a failing store: the page's own round trip still answers
        log.exception("map values ahead failed")
        return _json(503, {"error": "unavailable", "message": "ลองใหม่ภายหลัง / Try again later"})
    if values is None:
        return _json(404, {"error": "Not Found",
                          "message": "ไม่ใช่มุมมองแผนที่ / these parameters describe no area map"})
    return _json(200, values)


def register_routes(server: flask.Flask) -> None:
    server.add_url_rule(AHEAD_PATH, "map_ahead", map_ahead, methods=["GET"])
    server.add_url_rule(AHEAD_DRILL_PATH, "map_ahead_drill", map_ahead_drill, methods=["GET"])
