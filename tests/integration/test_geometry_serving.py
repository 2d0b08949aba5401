"""Geometry routes: per-level GeoJSON, subtrees, gzip, ETag/304, 404s, cache reset."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import flask
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
])
def test_not_found(client, url, message):
    resp = client.get(url)
    assert resp.status_code == 404
    assert resp.is_json and message in resp.json["message"]


def test_built_once_and_invalidated_after_import(client, tmp_path):
    url = serve.geometry_url(3)
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
