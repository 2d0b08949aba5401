"""Geometry routes: per-level GeoJSON, subtrees, gzip, ETag/304, 404s, cache reset."""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path

import flask
import mapbox_vector_tile
import pytest

from geodata import serve
from geodata.boundaries import import_boundaries
from tests.factory import (
    TAMBONS,
    geo_db,  # noqa: F401 - the module's database fixture
    small_frames,
    write_geojson,
)

pytestmark = pytest.mark.usefixtures("geo_db")
REAL = Path(__file__).resolve().parents[3] / "shared" / "geodata"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    source = write_geojson(tmp_path_factory.mktemp("geo"), small_frames())
    assert import_boundaries(source, progress=False).ok
    serve.invalidate_geometry_cache()
    app = flask.Flask("geometry-test")
    serve.register_geometry_routes(app)
    yield app.test_client()
    serve.invalidate_geometry_cache()


def _max_decimals(geometry: dict) -> int:
    text = json.dumps(geometry["coordinates"])
    return max((len(m) for m in re.findall(r"\.(\d+)", text)), default=0)


def test_level_collection(client):
    resp = client.get("/geo/1.geojson")
    assert resp.status_code == 200
    assert resp.mimetype == "application/geo+json"
    assert resp.headers["Cache-Control"] == "public, max-age=86400"
    assert "Content-Encoding" not in resp.headers  # the client did not ask for gzip
    data = json.loads(resp.data)
    assert data["type"] == "FeatureCollection"
    assert [f["id"] for f in data["features"]] == ["TH10", "TH20"]
    first = data["features"][0]
    props = first["properties"]
    assert {k: props[k] for k in ("pcode", "name_th", "name_en")} == {
        "pcode": "TH10", "name_th": "จังหวัดหนึ่ง", "name_en": "Province One"}
    # the label point (where the map writes the name) lies inside the area
    from shapely.geometry import Point, shape

    assert shape(first["geometry"]).contains(Point(props["lx"], props["ly"]))
    assert first["geometry"]["type"] == "MultiPolygon"
    assert len(json.loads(client.get("/geo/3.geojson").data)["features"]) == len(TAMBONS)


def test_coordinates_have_at_most_five_decimals(client):
    features = json.loads(client.get("/geo/3.geojson").data)["features"]
    assert max(_max_decimals(f["geometry"]) for f in features) <= 5


@pytest.mark.parametrize(("url", "expected"), [
    ("/geo/2/TH10.geojson", ["TH1001", "TH1002"]),
    ("/geo/2/TH20.geojson", ["TH2001"]),
    ("/geo/3/TH10.geojson", ["TH100101", "TH100102", "TH100201"]),
    ("/geo/3/TH1001.geojson", ["TH100101", "TH100102"]),
    ("/geo/3/TH2001.geojson", ["TH200101", "TH200102"]),
])
def test_subtree(client, url, expected):
    resp = client.get(url)
    assert resp.status_code == 200
    assert [f["id"] for f in json.loads(resp.data)["features"]] == expected


def test_gzip_when_accepted(client):
    plain = client.get("/geo/3.geojson")
    zipped = client.get("/geo/3.geojson", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # two representations
    refused = client.get("/geo/3.geojson", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data


def test_etag_gives_304(client):
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        first = client.get("/geo/2/TH10.geojson", headers=headers)
        etag = first.headers["ETag"]
        again = client.get("/geo/2/TH10.geojson", headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag
        other = client.get("/geo/2/TH10.geojson",
                           headers={**headers, "If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.data == first.data


@pytest.mark.parametrize(("url", "message"), [
    ("/geo/4.geojson", "unknown level 4"),
    ("/geo/0/TH10.geojson", "unknown level 0"),
    ("/geo/3/XX10.geojson", "not a province or district P-code"),
    ("/geo/3/TH100101.geojson", "not a province or district P-code"),
    ("/geo/3/TH10%27%3B--.geojson", "not a province or district P-code"),
    ("/geo/3/TH99.geojson", "no area with P-code TH99"),
    ("/geo/2/TH1001.geojson", "does not lie inside TH1001"),
    ("/geo/1/TH10.geojson", "does not lie inside TH10"),
    ("/geo/3/TH99.labels.json", "no area with P-code TH99"),
    ("/geo/1/0/0/0.mvt", "not served as tiles"),
    ("/geo/3/11/0/0.mvt", "no tile 11/0/0"),
    ("/geo/3/2/4/0.mvt", "no tile 2/4/0"),
])
def test_not_found(client, url, message):
    resp = client.get(url)
    assert resp.status_code == 404
    assert resp.is_json and message in resp.json["message"]


def test_built_once_and_invalidated_after_import(client, tmp_path):
    url = serve.geometry_url(3)
    labels_url = serve.tile_sources(3)["labels"]
    assert re.fullmatch(r"/geo/3\.geojson\?v=[0-9a-f]{12}", url)
    assert serve.geometry_url(3, "TH10").startswith("/geo/3/TH10.geojson?v=")
    assert serve.geometry_payload(3) is serve.geometry_payload(3)  # cached
    before = client.get("/geo/3.geojson").headers["ETag"]

    tambons = dict(TAMBONS)
    tambons["TH100101"] = (TAMBONS["TH100101"][0], "ตำบลใหม่", "New Tambon")
    assert import_boundaries(write_geojson(tmp_path, small_frames(tambons=tambons)),
                             progress=False).ok  # clears this process's cache
    resp = client.get("/geo/3.geojson")
    assert resp.headers["ETag"] != before
    assert json.loads(resp.data)["features"][0]["properties"]["name_en"] == "New Tambon"
    assert serve.geometry_url(3) != url
    assert client.get("/geo/3.labels.json").json["en"][0] == "New Tambon"
    assert serve.tile_sources(3)["labels"] != labels_url  # a new name is a new URL


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def test_labels_are_aligned_by_pcode(client):
    resp = client.get("/geo/3.labels.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Cache-Control"] == "public, max-age=86400"
    labels = resp.json
    assert labels["ids"] == sorted(TAMBONS)
    assert len(labels["th"]) == len(labels["en"]) == len(labels["at"]) == len(TAMBONS)
    # the GeoJSON's names and label points (which lie inside their own areas)
    from shapely.geometry import Point, shape

    features = {f["id"]: f for f in json.loads(client.get("/geo/3.geojson").data)["features"]}
    for i, pcode in enumerate(labels["ids"]):
        props = features[pcode]["properties"]
        assert (labels["th"][i], labels["en"][i]) == (props["name_th"], props["name_en"])
        assert labels["at"][i] == [props["lx"], props["ly"]]
        assert shape(features[pcode]["geometry"]).contains(Point(labels["at"][i])), pcode
    sub = client.get("/geo/3/TH1001.labels.json").json
    assert sub["ids"] == ["TH100101", "TH100102"]


def test_national_tambons_as_vector_tiles(client):
    sources = serve.tile_sources(3)
    version = serve.geometry_url(3).split("?v=")[1]
    assert sources["vector"] == f"/geo/3/{{z}}/{{x}}/{{y}}.mvt?v={version}"
    assert sources["labels"].startswith("/geo/3.labels.json?v=")
    assert serve.tile_sources(3, "TH10")["vector"] is None  # a subtree: one small file
    assert serve.tile_sources(1)["vector"] is None
    labels = client.get("/geo/3.labels.json").json
    at = dict(zip(labels["ids"], labels["at"], strict=True))
    x, y = _tile_of(*at["TH100101"], 9)
    resp = client.get(f"/geo/3/9/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.mapbox-vector-tile"
    assert resp.headers["Content-Encoding"] == "gzip"
    layer = mapbox_vector_tile.decode(gzip.decompress(resp.data))["areas"]
    assert layer["extent"] == 4096
    shown = {f["properties"]["pcode"] for f in layer["features"]}
    assert "TH100101" in shown
    assert {p for p in TAMBONS if _tile_of(*at[p], 9) == (x, y)} <= shown
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in layer["features"])
    again = client.get(f"/geo/3/9/{x}/{y}.mvt",
                       headers={"Accept-Encoding": "gzip", "If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    # a tile far from every area is empty, not an error
    far = client.get("/geo/3/9/0/0.mvt")
    assert far.status_code == 200 and far.data == b""
    whole = mapbox_vector_tile.decode(client.get("/geo/3/0/0/0.mvt").data)["areas"]
    assert sorted(f["properties"]["pcode"] for f in whole["features"]) == sorted(TAMBONS)


@pytest.mark.real_boundaries
@pytest.mark.skipif(not REAL.exists(), reason="../shared/geodata not present")
def test_real_national_tambon_payload(client, capsys):
    assert import_boundaries(REAL, progress=False).ok
    resp = client.get("/geo/3.geojson", headers={"Accept-Encoding": "gzip"})
    payload = serve.geometry_payload(3)
    assert payload.features == 7425
    assert len(resp.data) == len(payload.gzipped) < 1_500_000
    with capsys.disabled():
        print(f"\nnational tambon GeoJSON: {len(payload.raw):,} bytes raw, "
              f"{len(payload.gzipped):,} gzipped")
    districts = json.loads(client.get("/geo/2/TH50.geojson").data)["features"]
    assert len(districts) == 25  # Chiang Mai

