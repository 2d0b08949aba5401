"""Per-level GeoJSON for the maps, fetched once by the browser and cached.

``GET /geo/<level>.geojson`` gives every area of a level (1 provinces, 2 districts,
3 tambons); ``GET /geo/<level>/<parent>.geojson`` one level inside one subtree (the
districts of TH50, the tambons of TH5001 or of TH50), as DHIS2 does. Each collection is
built once from the display geometry and kept in memory as bytes, gzip bytes and an
ETag, so a request costs a dictionary lookup and one read of the boundaries' data
version (migration 0012): a boundary import in any process bumps it, so every worker
builds (or, with Redis, fetches from the shared cache) the new collection at once. The map pages pass a
:func:`geometry_url` to the figure and afterwards send only values, never geometry.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass

import flask

from chipao.domain.pcodes import PARENT_RE, pcode_level
from chipao.domain.scope import PUBLIC
from geodata.village_tiles import register_village_tiles
from queries import areas
from queries.db import scoped_read
from queries.versions import data_version

LEVELS = {1: "provinces", 2: "districts", 3: "tambons"}
MAX_AGE = 86400
MIMETYPE = "application/geo+json"


@dataclass(frozen=True)
class GeoPayload:
    raw: bytes
    gzipped: bytes
    etag: str  # content hash; the gzip representation adds '-gz'
    features: int


_cache: dict[tuple[int, int, str | None], GeoPayload] = {}  # (version, level, parent)
_lock = threading.Lock()
_shared = None  # chipao.web.cache.SharedTables when Redis is configured


class UnknownGeometry(LookupError):
    """A level or parent that has no geometry to serve; the message says why."""


def set_shared(shared) -> None:
    """The shared second level (Redis) behind this process's collections, or None."""
    global _shared
    _shared = shared


def invalidate_geometry_cache() -> None:
    """Forget this process's collections. Not needed after an import for correctness
    (the data version moves on); it frees the memory of the old ones."""
    with _lock:
        _cache.clear()


def _check(level: int, parent: str | None) -> None:
    if level not in LEVELS:
        raise UnknownGeometry(f"unknown level {level}: use 1 (provinces), 2 (districts) "
                              "or 3 (tambons)")
    if parent is None:
        return
    if not PARENT_RE.match(parent):
        raise UnknownGeometry(f"{parent!r} is not a province or district P-code "
                              "(TH + 2 or 4 digits)")
    parent_level = pcode_level(parent)
    if parent_level >= level:
        raise UnknownGeometry(f"level {level} ({LEVELS[level]}) does not lie inside "
                              f"{parent}, a level-{parent_level} area")


def geometry_payload(level: int, parent: str | None = None) -> GeoPayload:
    """The cached collection for a level (inside `parent`) at the current boundaries
    version, built on first use. Raises UnknownGeometry for a bad level, a malformed or
    unknown parent."""
    _check(level, parent)
    with scoped_read(PUBLIC) as conn:  # boundaries: a read replica may serve them
        version = data_version(conn, "boundaries")
        key = (version, level, parent)
        payload = _cache.get(key)
        if payload is not None:
            return payload
        with _lock:  # one build per key even when the first requests arrive together
            payload = _cache.get(key)
            if payload is None:
                shared_key = ("geo", conn.engine.url.database, *key)
                payload = _shared.get(shared_key) if _shared is not None else None
                if payload is None:
                    payload = _build(conn, level, parent)
                    if payload.features and _shared is not None:
                        _shared.put(shared_key, payload)
                if payload.features:  # an empty store may be filled by an import later
                    for old in [k for k in _cache if k[0] != version]:
                        del _cache[old]  # an older boundaries version: never served again
                    _cache[key] = payload
    return payload


def _build(conn, level: int, parent: str | None) -> GeoPayload:
    if parent is not None and areas.get_area(conn, parent) is None:
        raise UnknownGeometry(f"no area with P-code {parent}")
    raw = areas.area_geojson(conn, level, parent)
    return GeoPayload(raw=raw, gzipped=gzip.compress(raw, compresslevel=6, mtime=0),
                      etag=hashlib.sha256(raw).hexdigest()[:24],
                      features=raw.count(b'{"type":"Feature",'))


def geometry_url(level: int, parent: str | None = None) -> str:
    """URL of a collection, versioned by its content so a new boundary import is never
    hidden by a browser's cached copy."""
    path = f"/geo/{level}/{parent}.geojson" if parent else f"/geo/{level}.geojson"
    return f"{path}?v={geometry_payload(level, parent).etag[:12]}"


def _not_found(message: str) -> flask.Response:
    response = flask.jsonify(error="Not Found", message=message)
    response.status_code = 404
    return response


def _serve(level: int, parent: str | None) -> flask.Response:
    try:
        payload = geometry_payload(level, parent)
    except UnknownGeometry as err:
        return _not_found(str(err))
    request = flask.request
    use_gzip = request.accept_encodings["gzip"] > 0
    etag = payload.etag + ("-gz" if use_gzip else "")
    if request.if_none_match.contains_weak(etag):
        response = flask.Response(status=304)
    else:
        response = flask.Response(payload.gzipped if use_gzip else payload.raw,
                                  mimetype=MIMETYPE)
        if use_gzip:
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Vary"] = "Accept-Encoding"
    return response


def register_geometry_routes(server: flask.Flask) -> None:
    """Add the /geo routes to the dashboard's Flask server."""

    def level_geojson(level: int) -> flask.Response:
        return _serve(level, None)

    def subtree_geojson(level: int, parent_pcode: str) -> flask.Response:
        return _serve(level, parent_pcode)

    server.add_url_rule("/geo/<int:level>.geojson", "geo_level", level_geojson,
                        methods=["GET"])
    server.add_url_rule("/geo/<int:level>/<parent_pcode>.geojson", "geo_subtree",
                        subtree_geojson, methods=["GET"])
    register_village_tiles(server)  # the village level's vector tiles (per user)
