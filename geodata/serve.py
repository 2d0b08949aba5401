"""Per-level GeoJSON, vector tiles and labels for the maps, fetched once by the browser
and cached.

``GET /geo/<level>.geojson`` gives every area of a level (1 provinces, 2 districts,
3 tambons); ``GET /geo/<level>/<parent>.geojson`` one level inside one subtree (the
districts of TH50, the tambons of TH5001 or of TH50), as DHIS2 does. Each collection is
built once from the display geometry and kept in memory as bytes, gzip bytes and an
ETag, so a request costs a dictionary lookup and one read of the boundaries' data
version (migration 0012): a boundary import in any process bumps it, so every worker
builds (or, with Redis, fetches from the shared cache) the new collection at once. The map pages pass a
:func:`geometry_url` to the figure and afterwards send only values, never geometry.

The whole country's tambons (7,425) are also served as vector tiles,
``GET /geo/<level>/<z>/<x>/<y>.mvt`` (``ST_AsMVT``): MapLibre's worker then parses only
the tiles on screen, already cut and simplified, instead of clipping the whole
collection itself — the national tambon map's first paint is ~180 ms sooner
(docs/performance.md). Their names and label points, which the tiles do not carry, are
``GET /geo/<level>.labels.json`` (and ``/geo/<level>/<parent>.labels.json``), arrays
aligned by P-code. :func:`tile_sources` gives a map spec both URLs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
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
TILE_MIMETYPE = "application/vnd.mapbox-vector-tile"
TILE_LEVELS = (3,)  # whole-country levels drawn from tiles: too many areas for one file
TILE_MAX_ZOOM = 10  # beyond it MapLibre over-zooms the z10 tiles (~10 m per tile unit)
TILES_KEPT = 4096   # tiles kept per process (~2 MB at the national zooms)


@dataclass(frozen=True)
class GeoPayload:
    raw: bytes
    gzipped: bytes
    etag: str  # content hash; the gzip representation adds '-gz'
    features: int


_cache: dict[tuple, GeoPayload] = {}  # (version, kind, level, parent)
_tiles: OrderedDict[tuple[int, int, int, int, int], GeoPayload] = OrderedDict()
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
        _tiles.clear()


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
    return _payload("geojson", level, parent)


def labels_payload(level: int, parent: str | None = None) -> GeoPayload:
    """The names and label points of a level (inside `parent`), as JSON arrays."""
    return _payload("labels", level, parent)


def _payload(kind: str, level: int, parent: str | None) -> GeoPayload:
    _check(level, parent)
    with scoped_read(PUBLIC) as conn:  # boundaries: a read replica may serve them
        version = data_version(conn, "boundaries")
        key = (version, kind, level, parent)
        payload = _cache.get(key)
        if payload is not None:
            return payload
        with _lock:  # one build per key even when the first requests arrive together
            payload = _cache.get(key)
            if payload is None:
                shared_key = ("geo", conn.engine.url.database, *key)
                payload = _shared.get(shared_key) if _shared is not None else None
                if payload is None:
                    payload = _build(conn, kind, level, parent)
                    if payload.features and _shared is not None:
                        _shared.put(shared_key, payload)
                if payload.features:  # an empty store may be filled by an import later
                    for old in [k for k in _cache if k[0] != version]:
                        del _cache[old]  # an older boundaries version: never served again
                    _cache[key] = payload
    return payload


def _build(conn, kind: str, level: int, parent: str | None) -> GeoPayload:
    if parent is not None and areas.get_area(conn, parent) is None:
        raise UnknownGeometry(f"no area with P-code {parent}")
    if kind == "labels":
        labels = areas.area_labels(conn, level, parent)
        raw = json.dumps(labels, ensure_ascii=False, separators=(",", ":")).encode()
        return _packed(raw, len(labels["ids"]))
    raw = areas.area_geojson(conn, level, parent)
    return _packed(raw, raw.count(b'{"type":"Feature",'))


def _packed(raw: bytes, features: int) -> GeoPayload:
    return GeoPayload(raw=raw, gzipped=gzip.compress(raw, compresslevel=6, mtime=0),
                      etag=hashlib.sha256(raw).hexdigest()[:24], features=features)


def tile_payload(level: int, z: int, x: int, y: int) -> GeoPayload:
    """Vector tile z/x/y of a whole-country level (TILE_LEVELS), kept per boundaries
    version (the least recently used beyond TILES_KEPT go)."""
    if level not in TILE_LEVELS:
        raise UnknownGeometry(f"level {level} is not served as tiles (only "
                              f"{', '.join(LEVELS[t] for t in TILE_LEVELS)})")
    if not (0 <= z <= TILE_MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise UnknownGeometry(f"no tile {z}/{x}/{y} (zoom 0–{TILE_MAX_ZOOM})")
    with scoped_read(PUBLIC) as conn:
        key = (data_version(conn, "boundaries"), level, z, x, y)
        with _lock:
            payload = _tiles.get(key)
            if payload is not None:
                _tiles.move_to_end(key)
                return payload
        data = areas.area_tile(conn, level, z, x, y)
    payload = _packed(data, 1 if data else 0)
    with _lock:
        for old in [k for k in _tiles if k[0] != key[0]]:
            del _tiles[old]
        _tiles[key] = payload
        while len(_tiles) > TILES_KEPT:
            _tiles.popitem(last=False)
    return payload


def geometry_url(level: int, parent: str | None = None) -> str:
    """URL of a collection, versioned by its content so a new boundary import is never
    hidden by a browser's cached copy."""
    path = f"/geo/{level}/{parent}.geojson" if parent else f"/geo/{level}.geojson"
    return f"{path}?v={geometry_payload(level, parent).etag[:12]}"


def tile_sources(level: int, parent: str | None = None) -> dict[str, str | None]:
    """For a map spec (components.map_view.map_spec): the vector tile template of a
    whole-country level drawn from tiles (else None), and the labels' URL."""
    vector = None
    if parent is None and level in TILE_LEVELS:
        version = geometry_payload(level).etag[:12]  # the tiles cut this geometry
        vector = f"/geo/{level}/{{z}}/{{x}}/{{y}}.mvt?v={version}"
    path = f"/geo/{level}/{parent}.labels.json" if parent else f"/geo/{level}.labels.json"
    return {"vector": vector, "labels": f"{path}?v={labels_payload(level, parent).etag[:12]}"}


def _not_found(message: str) -> flask.Response:
    response = flask.jsonify(error="Not Found", message=message)
    response.status_code = 404
    return response


def _serve(level: int, parent: str | None, kind: str = "geojson") -> flask.Response:
    try:
        payload = _payload(kind, level, parent)
    except UnknownGeometry as err:
        return _not_found(str(err))
    return _respond(payload, MIMETYPE if kind == "geojson" else "application/json")


def _serve_tile(level: int, z: int, x: int, y: int) -> flask.Response:
    try:
        payload = tile_payload(level, z, x, y)
    except UnknownGeometry as err:
        return _not_found(str(err))
    return _respond(payload, TILE_MIMETYPE)


def _respond(payload: GeoPayload, mimetype: str) -> flask.Response:
    request = flask.request
    use_gzip = request.accept_encodings["gzip"] > 0
    etag = payload.etag + ("-gz" if use_gzip else "")
    if request.if_none_match.contains_weak(etag):
        response = flask.Response(status=304)
    else:
        response = flask.Response(payload.gzipped if use_gzip else payload.raw,
                                  mimetype=mimetype)
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

    def level_labels(level: int) -> flask.Response:
        return _serve(level, None, "labels")

    def subtree_labels(level: int, parent_pcode: str) -> flask.Response:
        return _serve(level, parent_pcode, "labels")

    server.add_url_rule("/geo/<int:level>.labels.json", "geo_level_labels", level_labels,
                        methods=["GET"])
    server.add_url_rule("/geo/<int:level>/<parent_pcode>.labels.json", "geo_subtree_labels",
                        subtree_labels, methods=["GET"])
    server.add_url_rule("/geo/<int:level>/<int:z>/<int:x>/<int:y>.mvt", "geo_tile",
                        _serve_tile, methods=["GET"])
    register_village_tiles(server)  # the village level's vector tiles (per user)
