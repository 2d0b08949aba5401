"""Fixtures and builders for the boundary tests.

Boundary imports replace the whole area table, which other test modules fill with
their own areas and households; so these tests run in a database of their own (same
local cluster, migrated the same way), swapped in for one module and out again.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry import box as _box

from chipao import settings
from chipao.cli import localdb


@pytest.fixture(scope="module")
def geo_db(database: dict[str, str]) -> Iterator[dict[str, str]]:
    """A fresh migrated database for one test module (no areas, no catalogue)."""
    from queries import db, migrate

    name = f"chipao_test_{os.getpid()}_geo"
    localdb.drop_database(name)
    localdb.ensure_database(name)
    urls = {"owner": localdb.url_for(name), "app": localdb.url_for(name, role=settings.APP_ROLE)}

    def use(owner: str, app: str) -> None:
        os.environ["DATABASE_URL"] = owner
        os.environ["CHIPAO_APP_DATABASE_URL"] = app
        settings.settings.cache_clear()
        db.dispose_all()

    use(urls["owner"], urls["app"])
    try:
        migrate.upgrade(urls["owner"])
        yield urls
    finally:
        use(database["owner"], database["app"])
        localdb.drop_database(name)


# ── small boundaries: 2 provinces, 3 districts, 5 tambons of unit squares ────
def box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A rectangle with a vertex on every 0.5° grid node of its edges, so neighbours
    share vertices (a clean coverage, like real boundaries)."""
    return shapely.segmentize(_box(x0, y0, x1, y1), 0.5)


#   TH10 = [100,102]×[14,15]: TH1001 = [100,101] (TH100101 left half, TH100102 right half),
#                             TH1002 = [101,102] (TH100201)
#   TH20 = [100,102]×[13,14]: TH2001 (TH200101 left, TH200102 right)
TAMBONS = {
    "TH100101": (box(100.0, 14.0, 100.5, 15.0), "ตำบลหนึ่ง", "Tambon One"),
    "TH100102": (box(100.5, 14.0, 101.0, 15.0), "ตำบลสอง", "Tambon Two"),
    "TH100201": (box(101.0, 14.0, 102.0, 15.0), "ตำบลสาม", "Tambon Three"),
    "TH200101": (box(100.0, 13.0, 101.0, 14.0), "ตำบลสี่", "Tambon Four"),
    "TH200102": (box(101.0, 13.0, 102.0, 14.0), "ตำบลห้า", "Tambon Five"),
}
DISTRICTS = {
    "TH1001": (box(100.0, 14.0, 101.0, 15.0), "อำเภอหนึ่ง", "District One"),
    "TH1002": (box(101.0, 14.0, 102.0, 15.0), "อำเภอสอง", "District Two"),
    "TH2001": (box(100.0, 13.0, 102.0, 14.0), "อำเภอสาม", "District Three"),
}
PROVINCES = {
    "TH10": (box(100.0, 14.0, 102.0, 15.0), "จังหวัดหนึ่ง", "Province One"),
    "TH20": (box(100.0, 13.0, 102.0, 14.0), "จังหวัดสอง", "Province Two"),
}
BOWTIE = Polygon([(100.0, 14.0), (100.5, 15.0), (100.5, 14.0), (100.0, 15.0), (100.0, 14.0)])


def level_frame(level: int, features: dict) -> gpd.GeoDataFrame:
    """A GeoDataFrame in the HDX COD-AB column layout for one level."""
    rows = []
    for pcode, (geom, name_th, name_en) in features.items():
        row = {f"ADM{level}_PCODE": pcode, f"ADM{level}_EN": name_en, f"ADM{level}_TH": name_th}
        for up in range(level - 1, -1, -1):
            row[f"ADM{up}_PCODE"] = pcode[: 2 + 2 * up]
        rows.append({**row, "geometry": geom if geom is None or geom.geom_type != "Polygon"
                     else MultiPolygon([geom])})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def small_frames(tambons: dict | None = None, districts: dict | None = None,
                 provinces: dict | None = None) -> dict[int, gpd.GeoDataFrame]:
    return {1: level_frame(1, PROVINCES if provinces is None else provinces),
            2: level_frame(2, DISTRICTS if districts is None else districts),
            3: level_frame(3, TAMBONS if tambons is None else tambons)}


def write_geojson(folder: Path, frames: dict[int, gpd.GeoDataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for level, df in frames.items():
        df.to_file(folder / f"tha_admbnda_adm{level}_test.geojson", driver="GeoJSON",
                   engine="pyogrio")
    return folder


def write_gpkg(path: Path, frames: dict[int, gpd.GeoDataFrame]) -> Path:
    for level, df in frames.items():
        df.to_file(path, layer=f"tha_admbnda_adm{level}_rtsd_20190221", driver="GPKG",
                   engine="pyogrio")
    return path


def write_shapefile_zip(path: Path, frames: dict[int, gpd.GeoDataFrame]) -> Path:
    """One zip holding the three Shapefiles (with their .cpg), as HDX ships them."""
    work = path.parent / (path.stem + "_shp")
    work.mkdir(parents=True, exist_ok=True)
    for level, df in frames.items():
        df.to_file(work / f"tha_admbnda_adm{level}_rtsd_20190221.shp", engine="pyogrio")
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(work.iterdir()):
            zf.write(f, f"tha_adm_rtsd_itos_shp/{f.name}")
    return path
