"""Vector tiles of the map's village level: ``GET /geo/villages/<z>/<x>/<y>.mvt``.

Nationally there are ~75,000 villages, so the browser asks only for the tiles on screen
(MapLibre vector source, layer ``villages``: per village its code ``vid`` and class
index ``c``). The query string says which figure and which class breaks:
``area`` (province, district or tambon P-code), ``round`` (round id), ``subject``,
``measure``, ``k`` and ``b`` (the legend's class breaks, comma-separated, ascending);
``v`` (the aggregates' data version) only makes a new import a new URL.

Unlike the boundary GeoJSON next door (geodata/serve.py: public, one copy for all),
these figures come from household rows: each request runs in the signed-in user's
scope, where row-level security shows only the households of the user's areas
(queries/villages.py). A request for an area outside them, or from a role without
household records, is refused (403) and, for a signed-in user, audited as a refusal,
as the sign-in guard does for pages (chipao/web/auth.py). Responses are cacheable by
the browser only (``private``): they differ per user.

A district's villages span six or more tiles, requested at once, right after the page's
answer has computed the same figures: :func:`village_figures` keeps one user's figures
of one view for FIGURES_TTL seconds (the page's call and the first tile's compute them,
the others wait for that and reuse them), so the households are read once per view,
not once per tile. The key is the user's whole scope, so nothing is shared between
users.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from urllib.parse import urlencode

import flask

from chipao.domain.catalogue import Catalogue
from chipao.domain.mapstate import format_k
from chipao.domain.scope import Role, Scope
from queries import audit, villages
from queries.catalogue import load_catalogue
from queries.db import scoped, scoped_read

MIMETYPE = "application/vnd.mapbox-vector-tile"
MAX_AGE = 300  # seconds: the URL changes with the data version anyway
MAX_ZOOM = 22
MAX_BINS = 12
FIGURES_TTL = 120   # seconds a user's village figures of one view are kept for its tiles
FIGURES_KEPT = 64   # views kept per process

_figures: OrderedDict[tuple, tuple[float, list[villages.VillageFigure]]] = OrderedDict()
_flights: dict[tuple, threading.Lock] = {}
_lock = threading.Lock()


class BadTileRequest(ValueError):
    pass


def village_figures(conn, scope: Scope, catalogue: Catalogue, *, round_id: int, area: str,
                    subject: str, measure: str, k: float, version: object
                    ) -> list[villages.VillageFigure]:
    """villages.village_values for `scope`, kept a short while per user and view
    (`version`: the aggregates' data version, as the tile URL carries it)."""
    key = (scope, round_id, area, subject, measure, format_k(k), str(version))
    with _lock:
        flight = _flights.setdefault(key, threading.Lock())
    with flight:  # one computation per key; tiles that arrive meanwhile wait for it
        with _lock:
            kept = _figures.get(key)
            if kept is not None and kept[0] > time.monotonic():
                _figures.move_to_end(key)
                return kept[1]
        figures = villages.village_values(conn, scope, catalogue, round_id=round_id,
                                          area=area, subject=subject, measure=measure, k=k)
        with _lock:
            _figures[key] = (time.monotonic() + FIGURES_TTL, figures)
            while len(_figures) > FIGURES_KEPT:
                _figures.popitem(last=False)
            _flights.pop(key, None)
    return figures


def _scope() -> Scope:
    """The request's scope, as the sign-in guard set it (never a default)."""
    scope = flask.g.get("scope")
    if not isinstance(scope, Scope):
        raise PermissionError("this request has no signed-in scope")
    return scope


def _floats(raw: str) -> list[float]:
    try:
        bins = [float(b) for b in raw.split(",") if b.strip()]
    except ValueError:
        raise BadTileRequest("b: class breaks are numbers separated by commas") from None
    if not bins or len(bins) > MAX_BINS or any(not math.isfinite(b) for b in bins) \
            or bins != sorted(bins):
        raise BadTileRequest(f"b: 1 to {MAX_BINS} finite class breaks, ascending")
    return bins


def _query() -> dict:
    args = flask.request.args
    try:
        round_id = int(args.get("round", ""))
        k = float(args.get("k", 1 / 3))
    except ValueError:
        raise BadTileRequest("round is a round id, k a number") from None
    if not 0 < k <= 1:
        raise BadTileRequest("k lies in (0, 1]")
    measure = args.get("measure", "share")
    if measure not in villages.MEASURES:
        raise BadTileRequest(f"measure is one of {', '.join(villages.MEASURES)}")
    return {"area": args.get("area", ""), "round_id": round_id, "k": k, "measure": measure,
            "subject": args.get("subject", "overall"), "bins": _floats(args.get("b", "")),
            "version": args.get("v", "")}


def _refuse(scope: Scope, reason: str) -> flask.Response:
    if scope.role != Role.PUBLIC:  # a signed-in account probing: worth a trace
        with scoped(scope) as conn:
            audit.record(conn, scope, "refused", flask.request.path,
                         {"page": "/map", "reason": reason, "method": flask.request.method,
                          "area": flask.request.args.get("area", "")[:20]},
                         flask.request.remote_addr)
    response = flask.jsonify(error="forbidden",
                             message="ไม่มีสิทธิ์ดูข้อมูลหมู่บ้านนี้ / Not permitted for these villages")
    response.status_code = 403
    return response


def village_tile(z: int, x: int, y: int) -> flask.Response:
    scope = _scope()
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        return flask.make_response(flask.jsonify(error="Not Found",
                                                 message="no such tile"), 404)
    try:
        query = _query()
    except BadTileRequest as err:
        return flask.make_response(flask.jsonify(error="Bad Request", message=str(err)), 400)
    if not villages.may_see(scope, query["area"]):
        return _refuse(scope, "village tile outside the scope")
    bins = query.pop("bins")
    with scoped_read(scope) as conn:
        try:
            figures = village_figures(conn, scope, load_catalogue(conn), **query)
            data = villages.village_tile(conn, figures, z=z, x=x, y=y,
                                         measure=query["measure"], bins=bins)
        except villages.VillageRequestError as err:
            return flask.make_response(flask.jsonify(error="Bad Request", message=str(err)),
                                       400)
    etag = hashlib.sha256(data).hexdigest()[:24]
    request = flask.request
    if request.if_none_match.contains_weak(etag):
        response = flask.Response(status=304)
    else:
        response = flask.Response(data, mimetype=MIMETYPE)
    response.set_etag(etag)
    # per user (row-level security): the browser may keep it, a shared cache may not
    response.headers["Cache-Control"] = f"private, max-age={MAX_AGE}"
    response.headers["Vary"] = "Cookie"
    return response


def tile_url(params: dict) -> str:
    """The tile URL template for MapLibre ({z}/{x}/{y} left for it to fill)."""
    return "/geo/villages/{z}/{x}/{y}.mvt?" + urlencode(params)


def register_village_tiles(server: flask.Flask) -> None:
    server.add_url_rule("/geo/villages/<int:z>/<int:x>/<int:y>.mvt", "geo_village_tile",
                        village_tile, methods=["GET"])
