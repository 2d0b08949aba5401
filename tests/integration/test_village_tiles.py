"""The village level's vector tiles (geodata/village_tiles.py, queries/villages.py)
against a real PostGIS: a tile over a tambon decodes and holds that tambon's villages
with the legend's class, too-few villages are marked, unlocated ones have no point, and
row-level security keeps other areas' villages (and every village, for roles without
household records) out — in the route and in the database itself."""

from __future__ import annotations

import math
from collections.abc import Iterator

import flask
import mapbox_vector_tile
import pandas as pd
import pytest
from sqlalchemy import text

from chipao.domain.scope import PUBLIC, Role, Scope
from components import choropleth as cp
from geodata import serve
from geodata.village_tiles import MIMETYPE, village_figures
from queries import villages
from queries.catalogue import load_catalogue
from queries.db import owner, scoped_read
from tests.factory import (
    add_rounds,
    catalogue_specs,
    import_households,
    insert_test_areas,
    isolated_store,
)

LAYOUT = {"TH50": {"TH5001": 2}, "TH10": {"TH1001": 1}}
TAMBON = "TH500101"
# households per village (tambon, village) → (households, poor, located)
VILLAGES = {
    ("TH500101", 1): (30, 6, 30),
    ("TH500101", 2): (25, 15, 25),
    ("TH500101", 3): (8, 4, 8),     # too few households for a rate
    ("TH500101", 4): (21, 3, 0),    # nobody located: no point on the map
    ("TH500102", 1): (22, 11, 22),
    ("TH100101", 1): (24, 12, 24),
}
ROUND = (1, 2566)
DISTRICT = Scope("village-district", Role.DISTRICT, ("TH5001",))
OTHER = Scope("village-other", Role.DISTRICT, ("TH1001",))


@pytest.fixture(scope="module")
def store(database) -> Iterator[dict]:
    with isolated_store("chipao_villages") as url:
        with owner() as conn:
            _build(conn)
        yield {"url": url, "round_id": ROUND[0]}


def _build(conn) -> None:
    """Areas, one round, the villages and their households (imported as a file)."""
    insert_test_areas(conn, LAYOUT, size=0.05)
    add_rounds(conn, [ROUND])
    bit = min(s.bit for s in catalogue_specs(conn))
    rows = []
    for (tambon, no), (n, poor, located) in VILLAGES.items():
        conn.execute(text("INSERT INTO village (tambon_pcode, village_no, name_th) "
                          "VALUES (:t, :v, :n)"), {"t": tambon, "v": no, "n": f"บ้าน {no}"})
        x0, y0 = conn.execute(text("SELECT ST_X(label_point), ST_Y(label_point) "
                                   "FROM area WHERE pcode = :t"), {"t": tambon}).one()
        for i in range(n):
            lon = x0 - 0.01 + 0.005 * no + 0.0001 * i if i < located else None
            rows.append({"house_id": f"V{tambon[2:]}{no}{i:03d}", "tambon_pcode": tambon,
                         "village_no": no, "survey_year": ROUND[1], "household_size": 3,
                         "welfare_card": 1, "lat": y0 if lon is not None else None,
                         "lon": lon, "failed": (1 << bit) if i < poor else 0,
                         "not_applicable": 0})
    import_households(conn, pd.DataFrame(rows))


@pytest.fixture(scope="module")
def client(store):
    """The geometry routes on a bare Flask app; the X-Test-Scope header stands in for
    the sign-in guard, which puts the signed-in user's scope on flask.g."""
    app = flask.Flask("village-tiles-test")
    scopes = {"district": DISTRICT, "other": OTHER, "public": PUBLIC}

    @app.before_request
    def _guard():
        flask.g.scope = scopes[flask.request.headers["X-Test-Scope"]]

    serve.register_geometry_routes(app)
    return app.test_client()


def _tiles_over(conn, pcode: str, z: int) -> list[tuple[int, int]]:
    """The tiles at zoom z that cover an area's bounding box."""
    x0, y0, x1, y1 = conn.execute(text(
        "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM area "
        "WHERE pcode = :p"), {"p": pcode}).one()

    def tile(lon: float, lat: float) -> tuple[int, int]:
        n = 2 ** z
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    (ax, ay), (bx, by) = tile(x0, y1), tile(x1, y0)
    return [(x, y) for x in range(ax, bx + 1) for y in range(ay, by + 1)]


def _values(scope: Scope, measure: str = "share", area: str = TAMBON):
    with scoped_read(scope) as conn:
        return villages.village_values(conn, scope, load_catalogue(conn), round_id=ROUND[0],
                                       area=area, subject="overall", measure=measure)


def _tile_features(client, who: str, query: dict, z: int = 12) -> dict[str, dict]:
    with owner() as conn:
        tiles = _tiles_over(conn, query["area"], z)
    found: dict[str, dict] = {}
    for x, y in tiles:
        resp = client.get(f"/geo/villages/{z}/{x}/{y}.mvt", query_string=query,
                          headers={"X-Test-Scope": who})
        assert resp.status_code == 200, resp.data
        layer = mapbox_vector_tile.decode(resp.data).get(villages.LAYER, {"features": []})
        for f in layer["features"]:
            found[f["properties"]["vid"]] = f["properties"]
    return found


def test_a_tile_over_a_tambon_holds_its_villages_with_the_legends_class(client, store):
    values = _values(DISTRICT)
    assert [v.vid for v in values] == ["TH50010101", "TH50010102", "TH50010103", "TH50010104"]
    by_vid = {v.vid: v for v in values}
    assert by_vid["TH50010102"].value == pytest.approx(15 / 25)
    assert by_vid["TH50010103"].insufficient and by_vid["TH50010103"].rank is None
    assert [by_vid[v].rank for v in ("TH50010101", "TH50010102", "TH50010104")] == [2, 1, 3]
    # the legend's breaks, as the page computes them, travel in the tile URL
    classes = cp.classify([v.value for v in values if not v.insufficient], "quantiles")
    expected = dict(zip(by_vid, cp.class_index([v.value for v in values], classes,
                                               [v.insufficient for v in values]), strict=True))
    query = {"area": TAMBON, "round": store["round_id"], "subject": "overall",
             "measure": "share", "b": ",".join(repr(b) for b in classes.bins)}
    found = _tile_features(client, "district", query)
    # village 4 has no located household: listed and ranked, but not on the map
    assert set(found) == {"TH50010101", "TH50010102", "TH50010103"}
    assert {vid: p.get("c") for vid, p in found.items()} == {
        vid: c for vid, c in expected.items() if vid in found}
    assert found["TH50010103"]["c"] == cp.INSUFFICIENT
    assert len({p["c"] for p in found.values()}) == 3  # distinct classes, not all alike


def test_counts_are_classed_for_small_villages_too(client, store):
    values = _values(DISTRICT, "count")
    assert {v.vid: v.value for v in values}["TH50010103"] == 4
    assert not any(v.insufficient for v in values)  # a count is no rate: never too few
    query = {"area": "TH5001", "round": store["round_id"], "measure": "count", "b": "5,10,20"}
    found = _tile_features(client, "district", query, z=11)
    # the district's villages: both tambons, the unlocated one left out
    assert set(found) == {"TH50010101", "TH50010102", "TH50010103", "TH50010201"}
    assert {vid: p["c"] for vid, p in found.items()} == {
        "TH50010101": 1, "TH50010102": 2, "TH50010103": 0, "TH50010201": 2}


def test_a_user_outside_the_area_gets_no_villages(client, store):
    query = {"area": TAMBON, "round": store["round_id"], "measure": "share", "b": "0.3,0.5"}
    resp = client.get("/geo/villages/12/0/0.mvt", query_string=query,
                      headers={"X-Test-Scope": "other"})
    assert resp.status_code == 403
    with owner() as conn:
        refused = conn.execute(text(
            "SELECT details FROM audit_log WHERE action = 'refused' AND username = :u "
            "ORDER BY audit_id DESC LIMIT 1"), {"u": OTHER.username}).scalar_one()
    assert refused["area"] == TAMBON and refused["page"] == "/map"
    assert _values(OTHER) == []
    # the database itself hides them: the statement over the whole country, in that
    # user's scope, gives the user's own villages only
    with scoped_read(OTHER) as conn:
        statement = villages.figures_sql(load_catalogue(conn), "overall", "share")
        rows = conn.execute(text(f"SELECT vid FROM ({statement}) AS f ORDER BY vid"),  # noqa: S608
                            {"round": ROUND[0], "k": 0.3, "lo": "TH", "hi": "TH99999999"}).all()
    assert [r.vid for r in rows] == ["TH10010101"]
    assert [v.vid for v in _values(OTHER, area="TH100101")] == ["TH10010101"]


def test_a_public_viewer_gets_no_village_figures(client, store):
    query = {"area": TAMBON, "round": store["round_id"], "measure": "count", "b": "5,10"}
    resp = client.get("/geo/villages/12/0/0.mvt", query_string=query,
                      headers={"X-Test-Scope": "public"})
    assert resp.status_code == 403
    with owner() as conn:  # anonymous: no audit row (nobody to trace)
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE username = :u"),
                            {"u": PUBLIC.username}).scalar_one() == 0
    # below the route's refusal, the public scope's reads hold no household row at all
    with scoped_read(PUBLIC) as conn:
        catalogue = load_catalogue(conn)
        statement = villages.figures_sql(catalogue, "overall", "count")
        assert conn.execute(text(f"SELECT count(*) FROM ({statement}) AS f"),  # noqa: S608
                            {"round": ROUND[0], "k": 0.3, "lo": "TH",
                             "hi": "TH99999999"}).scalar_one() == 0
        figures = villages.village_values(conn, PUBLIC, catalogue, round_id=ROUND[0],
                                          area=TAMBON, subject="overall", measure="count")
        assert figures == []
        assert villages.village_tile(conn, figures, z=12, x=0, y=0, measure="count",
                                     bins=[5.0]) == b""


def test_a_views_figures_are_read_once_for_its_tiles_and_per_user(store):
    """The page's answer and the tiles after it share one reading of the households
    (the tile URL's k is the page's, rounded), per user and data version."""
    view = {"round_id": ROUND[0], "area": TAMBON, "subject": "overall", "measure": "share"}
    twin = Scope("village-district-2", Role.DISTRICT, DISTRICT.areas)  # same areas
    with scoped_read(DISTRICT) as conn:
        catalogue = load_catalogue(conn)
        page = village_figures(conn, DISTRICT, catalogue, k=1 / 3, version=7, **view)
        assert village_figures(conn, DISTRICT, catalogue, k=0.3333, version="7",
                               **view) is page
        newer = village_figures(conn, DISTRICT, catalogue, k=1 / 3, version=8, **view)
        assert newer is not page and newer == page
        assert village_figures(conn, DISTRICT, catalogue, k=0.5, version=7,
                               **view) is not page
    with scoped_read(twin) as conn:
        assert village_figures(conn, twin, catalogue, k=1 / 3, version=7, **view) is not page


def test_tiles_are_private_cacheable_and_checked(client, store):
    query = {"area": TAMBON, "round": store["round_id"], "measure": "share", "b": "0.3,0.5"}
    with owner() as conn:
        (x, y), *_ = _tiles_over(conn, TAMBON, 12)
    url = f"/geo/villages/12/{x}/{y}.mvt"
    resp = client.get(url, query_string=query, headers={"X-Test-Scope": "district"})
    assert resp.status_code == 200 and resp.mimetype == MIMETYPE
    assert resp.headers["Cache-Control"].startswith("private, max-age=")
    again = client.get(url, query_string=query, headers={
        "X-Test-Scope": "district", "If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    for bad in ({"b": ""}, {"b": "0.5,0.3"}, {"b": "nan"}, {"measure": "median"},
                {"round": "x"}, {"k": "2"}, {"subject": "dim:nonesuch"}):
        resp = client.get(url, query_string={**query, **bad},
                          headers={"X-Test-Scope": "district"})
        assert resp.status_code == 400, bad
    assert client.get("/geo/villages/3/9/0.mvt", query_string=query,
                      headers={"X-Test-Scope": "district"}).status_code == 404
