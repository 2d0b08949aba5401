"""Boundary import: formats, validation report, repair, staging + swap, lookups."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon
from sqlalchemy import text

from geodata.boundaries import (
    BoundaryError,
    import_boundaries,
    level_of,
    read_boundaries,
    repair_geometry,
)
from queries import areas
from queries.db import owner
from tests.factory import (
    BOWTIE,
    DISTRICTS,
    TAMBONS,
    geo_db,  # noqa: F401 - the module's database fixture
    small_frames,
    write_geojson,
    write_gpkg,
    write_shapefile_zip,
)

pytestmark = pytest.mark.usefixtures("geo_db")
REAL = Path(__file__).resolve().parents[3] / "shared" / "geodata"


def _store() -> dict:
    """Everything a page could see of the area table, to compare before and after."""
    with owner() as conn:
        rows = conn.execute(text(
            "SELECT pcode, parent_pcode, name_th, name_en, ST_AsText(geom) FROM area "
            "ORDER BY pcode")).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _load(source: Path) -> dict:
    bset = read_boundaries(source)
    assert bset.report.ok, bset.report.problems
    with owner() as conn:
        return areas.replace_boundaries(conn, bset)


def _problems(report, action: str) -> dict[str, str]:
    return {p.pcode: p.reason for p in report.problems if p.action == action}


# ── formats ──────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shapefile_zip", "folder_of_zips"])
def test_each_format_imports_the_same_areas(fmt, tmp_path):
    frames = small_frames()
    if fmt == "geojson":
        source = write_geojson(tmp_path / "gj", frames)
    elif fmt == "gpkg":
        source = write_gpkg(tmp_path / "tha_adm.gpkg", frames)
    elif fmt == "shapefile_zip":
        source = write_shapefile_zip(tmp_path / "tha_adm_shp.zip", frames)
    else:  # one zip per level in a folder, as some HDX downloads come
        source = tmp_path / "zips"
        source.mkdir()
        for level, df in frames.items():
            write_shapefile_zip(tmp_path / f"tha_admbnda_adm{level}.zip", {level: df})
            (tmp_path / f"tha_admbnda_adm{level}.zip").rename(
                source / f"tha_admbnda_adm{level}.zip")
    bset = read_boundaries(source)
    assert bset.report.ok and bset.report.problems == []
    assert bset.counts() == {1: 2, 2: 3, 3: 5}

    counts = _load(source)
    assert counts["level_1"] == 2 and counts["level_2"] == 3 and counts["level_3"] == 5
    with owner() as conn:
        assert areas.level_counts(conn) == {1: 2, 2: 3, 3: 5}
        tambon = areas.get_area(conn, "TH100101")
        assert tambon["name_th"] == "ตำบลหนึ่ง" and tambon["name_en"] == "Tambon One"
        assert tambon["parent_pcode"] == "TH1001" and tambon["level"] == 3
        assert (tambon["xmin"], tambon["ymin"], tambon["xmax"], tambon["ymax"]) == \
            (100.0, 14.0, 100.5, 15.0)
        # area_km2 against an independent equal-area computation (EPSG:6933)
        expected = gpd.GeoSeries([TAMBONS["TH100101"][0]], crs=4326).to_crs(6933).area[0] / 1e6
        assert tambon["area_km2"] == pytest.approx(expected, rel=0.005)
        assert 100.0 < tambon["label_lon"] < 100.5 and 14.0 < tambon["label_lat"] < 15.0
        valid = conn.execute(text(
            "SELECT bool_and(ST_IsValid(geom_display) AND ST_Within(label_point, geom)) "
            "FROM area")).scalar_one()
        assert valid


def test_level_names():
    assert level_of("tha_admbnda_adm1_rtsd_20190221") == 1
    assert level_of("x/tha_admbnda_adm3_rtsd_20190221.shp") == 3
    assert level_of("tha_admbndl_adm1_rtsd_20190221.shp") is None  # boundary lines
    assert level_of("tha_admbnda_adm0_rtsd_20190221.shp") is None  # the country
    assert level_of("readme.json") is None


def test_source_without_boundaries_is_refused(tmp_path):
    with pytest.raises(BoundaryError, match="no such file"):
        read_boundaries(tmp_path / "nothing-here")
    (tmp_path / "notes.txt").write_text("not a map")
    with pytest.raises(BoundaryError, match="no GeoJSON"):
        read_boundaries(tmp_path)
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(BoundaryError, match="not a readable zip"):
        read_boundaries(bad)
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as zf:
        zf.writestr("readme.txt", "nothing")
    with pytest.raises(BoundaryError, match="no layer"):
        read_boundaries(tmp_path / "empty.zip")


def test_missing_level_and_missing_column_are_named(tmp_path):
    frames = small_frames()
    frames[3] = frames[3].drop(columns=["ADM3_TH"])
    source = write_geojson(tmp_path / "gj", frames)
    report = read_boundaries(source).report
    assert not report.ok
    (error,) = report.blocking
    assert error.level == 3 and "missing column ADM3_TH" in error.reason
    assert error.where == "tha_admbnda_adm3_test.geojson"

    (source / "tha_admbnda_adm3_test.geojson").unlink()
    report = read_boundaries(source).report
    assert [p.reason for p in report.blocking] == [
        "no tambon layer found (a file or layer named like tha_admbnda_adm3)"]


# ── validation ───────────────────────────────────────────────────────────────
def test_hierarchy_hole_is_rejected_and_store_unchanged(tmp_path):
    _load(write_geojson(tmp_path / "good", small_frames()))
    before = _store()
    tambons = dict(TAMBONS)
    tambons["TH100301"] = (TAMBONS["TH100201"][0], "ตำบลหก", "Tambon Six")  # no TH1003
    source = write_geojson(tmp_path / "hole", small_frames(tambons=tambons))

    report = import_boundaries(source, progress=False)
    assert not report.ok and report.loaded is None
    assert _problems(report, "rejected") == {
        "TH100301": "parent district TH1003 is missing from the district layer"}
    assert report.accepted == {1: 2, 2: 3, 3: 5}
    assert _store() == before
    with pytest.raises(ValueError, match="blocking problems"), owner() as conn:
        areas.replace_boundaries(conn, read_boundaries(source))


def test_rejected_parent_rejects_its_children(tmp_path):
    districts = dict(DISTRICTS)
    districts["TH1001"] = (DISTRICTS["TH1001"][0], "", "District One")  # no Thai name
    report = read_boundaries(write_geojson(tmp_path, small_frames(districts=districts))).report
    assert _problems(report, "rejected") == {
        "TH1001": "empty Thai name (ADM2_TH)",
        "TH100101": "parent district TH1001 was rejected",
        "TH100102": "parent district TH1001 was rejected",
    }
    assert not report.ok


def test_bad_pcodes_duplicates_and_prefix_mismatch(tmp_path):
    tambons = dict(TAMBONS)
    tambons["TH1X0103"] = (TAMBONS["TH100101"][0], "ก", "A")
    tambons["TH1001"] = (TAMBONS["TH100101"][0], "ข", "B")  # a district code as a tambon
    frames = small_frames(tambons=tambons)
    dup = frames[3].iloc[[0]].copy()
    frames[3] = gpd.GeoDataFrame(pd.concat([frames[3], dup], ignore_index=True), crs=4326)
    frames[3].loc[frames[3]["ADM3_PCODE"] == "TH200102", "ADM2_PCODE"] = "TH1001"
    report = read_boundaries(write_geojson(tmp_path, frames)).report
    rejected = [(p.pcode, p.reason) for p in report.problems if p.action == "rejected"]
    assert ("TH1X0103", "P-code 'TH1X0103' is not a tambon P-code (TH + 6 digits)") in rejected
    assert ("TH1001", "P-code 'TH1001' is not a tambon P-code (TH + 6 digits)") in rejected
    assert rejected.count(("TH100101", "duplicate P-code (2 features)")) == 2
    assert ("TH200102", "parent P-code 'TH1001' (ADM2_PCODE) does not match the P-code's "
            "prefix TH2001") in rejected
    assert report.accepted[3] == 3


def test_bowtie_is_repaired_and_reported(tmp_path):
    tambons = dict(TAMBONS)
    tambons["TH100101"] = (BOWTIE, "ตำบลหนึ่ง", "Tambon One")
    source = write_geojson(tmp_path, small_frames(tambons=tambons))
    report = import_boundaries(source, progress=False)
    assert report.ok, report.problems
    repaired = _problems(report, "repaired")
    assert list(repaired) == ["TH100101"]
    assert repaired["TH100101"].startswith("invalid geometry (Self-intersection")
    with owner() as conn:
        geom_type, valid, km2 = conn.execute(text(
            "SELECT GeometryType(geom), ST_IsValid(geom), area_km2 FROM area "
            "WHERE pcode = 'TH100101'")).one()
    assert geom_type == "MULTIPOLYGON" and valid
    cell_km2 = gpd.GeoSeries([TAMBONS["TH100101"][0]], crs=4326).to_crs(6933).area[0] / 1e6
    assert km2 == pytest.approx(cell_km2 / 2, rel=0.01)  # the bow-tie's two triangles


def test_unrepairable_geometry_is_rejected():
    flat = Polygon([(100, 14), (101, 14), (100.5, 14), (100, 14)])
    geom, why = repair_geometry(flat)
    assert geom is None and why.endswith("could not be repaired")
    assert repair_geometry(None) == (None, "no geometry")
    assert repair_geometry(shapely.LineString([(0, 0), (1, 1)]))[1] == "not a polygon (LineString)"
    fixed, why = repair_geometry(shapely.box(0, 0, 1, 1))
    assert why is None and fixed.geom_type == "MultiPolygon"


def test_projected_source_is_reprojected(tmp_path):
    frames = {level: df.to_crs(32647) for level, df in small_frames().items()}  # UTM 47N
    bset = read_boundaries(write_gpkg(tmp_path / "utm.gpkg", frames))
    assert bset.report.ok
    assert any(p.action == "note" and "reprojected" in p.reason for p in bset.report.problems)
    xmin, ymin, xmax, ymax = bset.frames[1].total_bounds
    assert (xmin, ymin, xmax, ymax) == pytest.approx((100, 13, 102, 15), abs=1e-6)


# ── store: re-import, vanished areas ─────────────────────────────────────────
def test_reimport_replaces_without_duplicates(tmp_path):
    source = write_geojson(tmp_path / "a", small_frames())
    _load(source)
    again = _load(source)
    assert again == {"inserted": 0, "updated": 0, "unchanged": 10, "deleted": 0,
                     "level_1": 2, "level_2": 3, "level_3": 5}

    tambons = dict(TAMBONS)
    tambons["TH100102"] = (TAMBONS["TH100102"][0], "ตำบลสองใหม่", "Tambon Two (new)")
    del tambons["TH200102"]
    tambons["TH200103"] = (TAMBONS["TH200102"][0], "ตำบลเจ็ด", "Tambon Seven")
    counts = _load(write_geojson(tmp_path / "b", small_frames(tambons=tambons)))
    assert counts == {"inserted": 1, "updated": 1, "unchanged": 8, "deleted": 1,
                      "level_1": 2, "level_2": 3, "level_3": 5}
    with owner() as conn:
        assert areas.get_area(conn, "TH100102")["name_th"] == "ตำบลสองใหม่"
        assert areas.get_area(conn, "TH200102") is None
        n = conn.execute(text("SELECT count(*), count(DISTINCT pcode) FROM area")).one()
    assert tuple(n) == (10, 10)


def test_vanished_area_in_use_is_refused(tmp_path):
    _load(write_geojson(tmp_path / "a", small_frames()))
    with owner() as conn:
        conn.execute(text("INSERT INTO village (tambon_pcode, village_no) "
                          "VALUES ('TH200102', 1)"))
        conn.execute(text("INSERT INTO household (house_id, tambon_pcode, village_no) "
                          "VALUES ('H-0001', 'TH200102', 1)"))
    before = _store()
    tambons = {k: v for k, v in TAMBONS.items() if k != "TH200102"}
    source = write_geojson(tmp_path / "b", small_frames(tambons=tambons))
    with pytest.raises(areas.AreaInUseError, match=r"TH200102 \(1 households, 1 villages\)"):
        _load(source)
    report = import_boundaries(source, progress=False)
    assert not report.ok and "TH200102 (1 households, 1 villages)" in report.blocking[0].reason
    assert _store() == before

    with owner() as conn:
        conn.execute(text("DELETE FROM household WHERE house_id = 'H-0001'"))
        conn.execute(text("DELETE FROM village WHERE tambon_pcode = 'TH200102'"))
    assert _load(source)["deleted"] == 1


# ── lookups ──────────────────────────────────────────────────────────────────
def test_lookups(tmp_path):
    _load(write_geojson(tmp_path, small_frames()))
    with owner() as conn:
        assert [a["pcode"] for a in areas.area_names(conn, 1)] == ["TH10", "TH20"]
        assert [a["pcode"] for a in areas.area_names(conn, 3, "TH10")] == \
            ["TH100101", "TH100102", "TH100201"]
        assert [a["pcode"] for a in areas.children(conn, "TH1001")] == ["TH100101", "TH100102"]
        assert [a["pcode"] for a in areas.children(conn, "TH")] == ["TH10", "TH20"]
        assert areas.children(conn, "TH100101") == []
        chain = areas.ancestors(conn, "TH100102", include_self=True)
        assert [(a["pcode"], a["name_en"]) for a in chain] == [
            ("TH10", "Province One"), ("TH1001", "District One"), ("TH100102", "Tambon Two")]
        assert [a["pcode"] for a in areas.ancestors(conn, "TH100102")] == ["TH10", "TH1001"]
        assert areas.ancestors(conn, "TH10") == []
        assert areas.ancestors(conn, "TH990101") == []
        assert areas.get_area(conn, "TH99") is None


# ── the real HDX boundaries ──────────────────────────────────────────────────
@pytest.mark.real_boundaries
@pytest.mark.skipif(not REAL.exists(), reason="../shared/geodata not present")
def test_real_boundaries_import():
    report = import_boundaries(REAL, progress=False)
    assert report.ok, report.problems
    assert report.loaded["level_1"] == 77
    assert report.loaded["level_2"] == 928
    assert report.loaded["level_3"] == 7425
    with owner() as conn:
        assert areas.level_counts(conn) == {1: 77, 2: 928, 3: 7425}
        for level in (1, 2, 3):
            wkb = conn.execute(text("SELECT ST_AsBinary(geom_display) FROM area "
                                    "WHERE level = :l"), {"l": level}).scalars().all()
            display = shapely.from_wkb(wkb)
            assert shapely.coverage_is_valid(display), f"level {level}: borders inconsistent"
            assert shapely.is_valid(display).all()
        thailand = conn.execute(text("SELECT sum(area_km2) FROM area WHERE level = 1")).scalar()
        labels_inside = conn.execute(text(
            "SELECT bool_and(ST_Intersects(label_point, geom_display)) FROM area")).scalar()
        bangkok = areas.get_area(conn, "TH10")
    assert thailand == pytest.approx(513_000, rel=0.02)  # Thailand: about 513,000 km²
    assert labels_inside
    assert bangkok["name_th"] == "กรุงเทพมหานคร" and bangkok["area_km2"] == \
        pytest.approx(1_569, rel=0.05)


def _without_crs(frames: dict[int, gpd.GeoDataFrame], epsg: int) -> dict[int, gpd.GeoDataFrame]:
    """The frames' coordinates in `epsg`, written with no coordinate reference system."""
    out = {}
    for level, df in frames.items():
        moved = df.to_crs(epsg)
        out[level] = gpd.GeoDataFrame(moved.drop(columns="geometry"),
                                      geometry=list(moved.geometry.values), crs=None)
    return out


def test_projected_metres_without_a_crs_are_rejected_with_a_clear_message(tmp_path):
    """UTM metres in a GeoJSON without a crs member used to pass as EPSG:4326 and die in
    PostGIS (lwgeom_area_spher … area < 0); now: a rejection in the report."""
    _load(write_geojson(tmp_path / "good", small_frames()))
    before = _store()
    source = write_geojson(tmp_path / "metres", _without_crs(small_frames(), 32647))
    assert '"crs"' not in next(source.glob("*adm1*")).read_text()
    report = import_boundaries(source, progress=False)
    assert not report.ok and report.loaded is None
    rejected = _problems(report, "rejected")
    assert set(rejected) >= {"TH10", "TH1001", "TH100101"}
    assert all("beyond ±180/±90" in why and "EPSG:4326" in why for why in rejected.values())
    assert _store() == before


def test_degrees_far_from_thailand_are_rejected(tmp_path):
    # 80° west: valid degrees, but in Africa
    frames = {level: df.set_geometry(df.geometry.translate(xoff=-80))
              for level, df in small_frames().items()}
    report = read_boundaries(write_geojson(tmp_path, frames)).report
    rejected = _problems(report, "rejected")
    assert rejected and all("far outside Thailand" in why for why in rejected.values())
    assert not report.ok
