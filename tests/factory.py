"""The one place tests build their data stores, through the product's own importers.

- `isolated_store` / `geo_db`: a database of its own in the session's local cluster,
  migrated (and seeded with the catalogue), the environment pointed at it meanwhile.
- Areas go through the boundary importer (geodata.boundaries.read_boundaries +
  queries.areas.replace_boundaries): squares written as HDX COD-AB GeoJSON layers.
- Survey results go through the household CSV importer (chipao.ingest.household_csv +
  queries.households_load): indicator values written as a real CSV file, from which
  the importer computes failed/not-applicable bits, dimensions and scores itself.
- Centres go through the centre CSV importer (chipao.ingest.centre_csv).
- Demo data comes from the demo generator (chipao.ingest.demo) with `memory_inputs`.
Members, plans, visits, process steps and targets have no file importer (only the demo
generator writes them), so the stores insert those rows with plain SQL, after the
imported households they belong to.

Stores (each a context manager over a database of its own, or a builder for a
connection of one): `permission_store`, `households_build`, `centres_store`,
`plans_build`, `map_store` / `map_load`.
"""

from __future__ import annotations

import os
import random
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry import box as _box
from sqlalchemy import Connection, text

from chipao import settings
from chipao.cli import localdb
from chipao.domain.demo import DemoInputs
from chipao.domain.households import Catalogue, IndicatorSpec
from chipao.settings import DATA_DIR


# ══ databases ════════════════════════════════════════════════════════════════
def _use(owner: str | None, app: str | None) -> None:
    from queries import db

    for key, value in (("DATABASE_URL", owner), ("CHIPAO_APP_DATABASE_URL", app)):
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    settings.reload()
    db.dispose_all()


@contextmanager
def isolated_store(name: str, catalogue: bool = True) -> Iterator[str]:
    """A fresh migrated database (with the indicator catalogue and reference tables
    unless `catalogue` is False); DATABASE_URL points at it while the context is open
    (restored afterwards, database dropped). Yields the owner URL."""
    from queries import db, migrate
    from queries.reference_data import load_catalogue, load_reference_tables

    dbname = f"{name}_{os.getpid()}"
    localdb.drop_database(dbname)
    localdb.ensure_database(dbname)
    url = localdb.url_for(dbname)
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "CHIPAO_APP_DATABASE_URL")}
    _use(url, localdb.url_for(dbname, role=settings.APP_ROLE))
    try:
        migrate.upgrade(url)
        if catalogue:
            with db.owner() as conn:
                load_catalogue(conn)
                load_reference_tables(conn)
        yield url
    finally:
        _use(saved["DATABASE_URL"], saved["CHIPAO_APP_DATABASE_URL"])
        localdb.drop_database(dbname)


@pytest.fixture(scope="module")
def geo_db(database: dict[str, str]) -> Iterator[dict[str, str]]:
    """A fresh migrated database for one test module (no areas, no catalogue): boundary
    imports replace the whole area table, which other modules fill with their own."""
    with isolated_store("chipao_test_geo", catalogue=False) as url:
        yield {"owner": url, "app": os.environ["CHIPAO_APP_DATABASE_URL"]}


def add_rounds(conn: Connection, rounds: Iterable[tuple[int, int]], label: str = "รอบ") -> None:
    """Survey rounds with the ids the tests use; the household importer maps the
    files' survey years onto them (it would otherwise create year − 2500)."""
    conn.execute(text("INSERT INTO survey_round (round_id, year_be, label_th, label_en) "
                      "VALUES (:r, :y, :th, :en) ON CONFLICT DO NOTHING"),
                 [{"r": r, "y": y, "th": f"{label} {y}", "en": f"Round {y}"} for r, y in rounds])


# ══ boundaries, through the boundary importer ════════════════════════════════
def box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A rectangle with a vertex on every 0.5° grid node of its edges, so neighbours
    share vertices (a clean coverage, like real boundaries)."""
    return shapely.segmentize(_box(x0, y0, x1, y1), 0.5)


# Small boundaries for the boundary tests: 2 provinces, 3 districts, 5 tambons.
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


def import_frames(conn: Connection, frames: dict[int, gpd.GeoDataFrame]) -> dict[str, int]:
    """Write the frames as GeoJSON files and import them with the boundary importer, in
    the caller's transaction (the area table becomes exactly these areas)."""
    from geodata.boundaries import read_boundaries
    from geodata.serve import invalidate_geometry_cache
    from queries.areas import replace_boundaries

    with tempfile.TemporaryDirectory(prefix="chipao-areas-") as folder:
        bset = read_boundaries(write_geojson(Path(folder), frames))
    assert bset.report.ok, bset.report
    loaded = replace_boundaries(conn, bset)
    invalidate_geometry_cache()
    return loaded


def square_frames(layout: Mapping[str, Mapping[str, int]], origin: tuple[float, float] = (100.0, 14.0),
                  size: float = 0.05,
                  names: Mapping[str, tuple[str, str]] | None = None
                  ) -> tuple[dict[int, gpd.GeoDataFrame], list[str]]:
    """Provinces → districts → number of tambons, as squares of `size` degrees in a row
    per district (a row below the previous one), districts and provinces their unions.
    Returns (frames by level, the tambon P-codes in layout order). Example:
    {"TH10": {"TH1001": 2}, "TH50": {"TH5001": 3, "TH5002": 1}}"""
    names = names or {}
    levels: dict[int, dict] = {1: {}, 2: {}, 3: {}}
    x0, y0 = origin
    row = 0
    tambons: list[str] = []
    for province, districts in layout.items():
        parts = []
        for district, n in districts.items():
            squares = []
            for k in range(1, n + 1):
                pcode = f"{district}{k:02d}"
                tambons.append(pcode)
                x, y = x0 + (k - 1) * size, y0 + row * size
                squares.append(_box(x, y, x + size, y + size))
                th, en = names.get(pcode, (f"ตำบลทดสอบ {pcode}", f"Test tambon {pcode}"))
                levels[3][pcode] = (squares[-1], th, en)
            row += 1
            union = shapely.union_all(squares)
            parts.append(union)
            th, en = names.get(district, (f"อำเภอทดสอบ {district}", f"Test district {district}"))
            levels[2][district] = (union, th, en)
        th, en = names.get(province, (f"จังหวัดทดสอบ {province}", f"Test province {province}"))
        levels[1][province] = (shapely.union_all(parts), th, en)
    return {level: level_frame(level, feats) for level, feats in levels.items()}, tambons


def insert_test_areas(conn: Connection, layout: Mapping[str, Mapping[str, int]],
                      origin: tuple[float, float] = (100.0, 14.0), size: float = 0.05,
                      names: Mapping[str, tuple[str, str]] | None = None) -> list[str]:
    """The layout's squares (see square_frames) imported through the boundary importer;
    returns the tambon P-codes."""
    frames, tambons = square_frames(layout, origin, size, names)
    import_frames(conn, frames)
    return tambons


# ══ survey results, through the household CSV importer ═══════════════════════
def catalogue_specs(conn: Connection) -> list[IndicatorSpec]:
    """The stored indicator catalogue, as the importer reads it."""
    from queries import households_load

    return list(households_load.read_catalogue(conn).indicators)


def dimension_indicators(specs: Iterable[IndicatorSpec]) -> dict[int, int]:
    """{dimension sort: bit of its first indicator}: failing that one indicator fails
    the dimension, so a wanted set of failed dimensions can be written as a file."""
    first: dict[int, int] = {}
    for s in sorted(specs, key=lambda s: s.bit):
        first.setdefault(s.dimension_sort, s.bit)
    return first


def failed_bits_for_dims(dims: np.ndarray, specs: Iterable[IndicatorSpec]) -> np.ndarray:
    """Indicator bit sets that fail exactly the dimensions in each `dims` bit set."""
    dims = np.asarray(dims, dtype=np.int64)
    failed = np.zeros(len(dims), dtype=np.int64)
    for sort, bit in dimension_indicators(specs).items():
        failed |= ((dims >> sort) & 1) << bit
    return failed


def household_file(path: Path, rows: pd.DataFrame, specs: Iterable[IndicatorSpec]) -> Path:
    """Write `rows` as a household CSV file (docs/household-csv.md). `rows` has the
    file's columns plus `failed` and `not_applicable` (indicator bit sets), which become
    the indicator columns: 0 failed, NA not applicable, 1 met."""
    failed = rows["failed"].to_numpy(dtype=np.int64)
    na = rows["not_applicable"].to_numpy(dtype=np.int64)
    out = rows.drop(columns=["failed", "not_applicable"]).copy()
    for s in specs:
        bit = np.int64(1) << s.bit
        out[s.code] = np.where(failed & bit, "0", np.where(na & bit, "NA", "1"))
    out.to_csv(path, index=False, float_format="%.7f")
    return path


def import_households(conn: Connection, rows: pd.DataFrame, refresh: bool = False):
    """Write `rows` (see household_file) as a CSV file and import it with the household
    importer in the caller's transaction; every row must be accepted."""
    from chipao.ingest.household_csv import read_household_csv
    from queries import households_load

    catalogue = households_load.read_catalogue(conn)
    with tempfile.TemporaryDirectory(prefix="chipao-households-") as folder:
        path = household_file(Path(folder) / "households.csv", rows, catalogue.indicators)
        parsed = read_household_csv(path, catalogue)
    assert not parsed.rejects, parsed.rejects[:5]
    result = households_load.import_households(conn, parsed, refresh=refresh)
    assert result.ok and not result.rejects, result.summary()
    return result


# ══ centres, through the centre CSV importer ═════════════════════════════════
def import_centres(conn: Connection, centres: Iterable[tuple], refresh: bool = False):
    """Centres as (code, tambon, (lon, lat), status, services[, opened_on]) written as a
    centre CSV file and imported in the caller's transaction; all must be accepted."""
    from chipao.ingest.centre_csv import read_centre_csv
    from queries import centres as centre_queries

    rows = []
    for code, tambon, (x, y), status, services, *opened in centres:
        rows.append({"code": code, "name_th": f"ศูนย์ทดสอบ {code}",
                     "name_en": f"Test centre {code}", "tambon_pcode": tambon, "lat": y,
                     "lon": x, "opened_on": opened[0] if opened else "", "status": status,
                     "services": ";".join(services)})
    with tempfile.TemporaryDirectory(prefix="chipao-centres-") as folder:
        path = Path(folder) / "centres.csv"
        pd.DataFrame(rows).to_csv(path, index=False, float_format="%.7f")
        parsed = read_centre_csv(path, centre_queries.tambon_pcodes(conn))
    assert not parsed.rejects, parsed.rejects[:5]
    result = centre_queries.import_centres(conn, parsed, refresh=refresh)
    assert result.loaded and not result.rejects, result.summary()
    return result


# ══ demo generator inputs (no database) ══════════════════════════════════════
# Provinces chosen for their calibration: Bangkok (low), central TH12, Northeast TH30,
# Mae Hong Son TH58 (high), Pattani TH94 (deep South, high).
DEMO_LAYOUT = {"TH10": {"TH1001": 3, "TH1002": 2}, "TH12": {"TH1201": 3},
               "TH30": {"TH3001": 4, "TH3002": 2}, "TH58": {"TH5801": 3},
               "TH94": {"TH9401": 3}}

CATALOGUE_ROWS = [  # code, dimension, sort, bit, applies_to (as chipao/data/indicators.csv)
    ("H1", "health", 0, 0, "newborn"), ("H2", "health", 0, 1, None), ("H3", "health", 0, 2, None),
    ("H4", "health", 0, 3, None), ("E1", "education", 1, 4, "age_3_5"),
    ("E2", "education", 1, 5, "age_6_14"), ("E3", "education", 1, 6, "lower_secondary_graduate"),
    ("E4", "education", 1, 7, "age_15_59"), ("I1", "income", 2, 8, "age_15_59"),
    ("I2", "income", 2, 9, "age_60_plus"), ("I3", "income", 2, 10, None),
    ("L1", "living", 3, 11, None), ("L2", "living", 3, 12, None), ("L3", "living", 3, 13, None),
    ("L4", "living", 3, 14, None), ("A1", "access", 4, 15, "elderly"),
    ("A2", "access", 4, 16, "disabled"),
]


def memory_inputs(layout=DEMO_LAYOUT) -> DemoInputs:
    """Demo generator inputs without a database: 0.1° squares per tambon."""
    per_dim = pd.Series([r[1] for r in CATALOGUE_ROWS]).value_counts()
    specs = tuple(IndicatorSpec(code, bit, 0.2 / per_dim[dim], dim, sort, applies)
                  for code, dim, sort, bit, applies in CATALOGUE_ROWS)
    rows, districts = [], []
    for districts_of in layout.values():
        for district, n in districts_of.items():
            districts.append(district)
            for k in range(1, n + 1):
                i = len(rows)  # a grid inside Thailand's bounding box
                x, y = 98.0 + 0.1 * (i % 60), 6.0 + 0.1 * (i // 60)
                rows.append({"pcode": f"{district}{k:02d}", "name_th": f"ตำบล{district}{k}",
                             "name_en": f"Tambon {district}{k}", "area_km2": 120.0,
                             "geom": shapely.box(x, y, x + 0.1, y + 0.1)})
    tambons = pd.DataFrame(rows)
    categories = pd.read_csv(DATA_DIR / "plan_categories.csv")[["code", "horizon"]]
    agencies = pd.read_csv(DATA_DIR / "agencies.csv")["code"].tolist()
    return DemoInputs(tambons=tambons, districts=districts, provinces=list(layout),
                      catalogue=Catalogue(specs, frozenset(tambons["pcode"])),
                      categories=categories, agencies=agencies)


# ══ the permission and privacy store ═════════════════════════════════════════
# Three tambons in two provinces, households with members, plans and visits, and one
# user per role. Member surnames carry the tambon, so a leak is easy to spot.
IN_TAMBON, OTHER_TAMBON_SAME_DISTRICT, OUT_TAMBON = "TH500101", "TH500102", "TH100101"
PERM_ROUND = (1, 2566)
# (tambon, households, poor among them)
PERM_LAYOUT = ((IN_TAMBON, 6, 2), (OTHER_TAMBON_SAME_DISTRICT, 6, 0), (OUT_TAMBON, 6, 1))
ROLE_AREAS: dict[str, tuple[str, ...]] = {
    "executive": (), "province": ("TH50",), "district": ("TH5001",),
    "tambon": (IN_TAMBON,), "public": (), "admin": (),
}


def surname(tambon: str) -> str:
    return f"สกุลลับ{tambon[2:]}"


def house_id(tambon: str, i: int) -> str:
    return f"P{tambon[2:]}-{i:02d}"


def national_id(tambon: str, i: int, seq: int) -> str:
    return f"{tambon[2:]}{i:02d}{seq:02d}12345"[:13].ljust(13, "0")


def permission_build(conn: Connection) -> None:
    from tests.auth_helpers import KNOWN_AREAS

    tambons = [t for t, _, _ in PERM_LAYOUT]
    layout: dict[str, dict[str, int]] = {}
    for t in tambons:
        layout.setdefault(t[:4], {}).setdefault(t[:6], 0)
        layout[t[:4]][t[:6]] += 1
    assert insert_test_areas(conn, layout, names=KNOWN_AREAS) == tambons
    add_rounds(conn, [PERM_ROUND], label="รอบทดสอบ")
    first = min(catalogue_specs(conn), key=lambda s: s.bit)  # the one failed indicator
    rows = [{"house_id": house_id(t, i), "tambon_pcode": t, "village_no": 1,
             "survey_year": PERM_ROUND[1], "household_size": 2,
             "welfare_card": int(i <= poor), "failed": (1 << first.bit) if i <= poor else 0,
             "not_applicable": 0}
            for t, n, poor in PERM_LAYOUT for i in range(1, n + 1)]
    import_households(conn, pd.DataFrame(rows))
    for tambon, n, poor in PERM_LAYOUT:
        for i in range(1, n + 1):
            hid, is_poor = house_id(tambon, i), i <= poor
            for seq, first_name in ((1, "สมศรี"), (2, "สมชาย")):
                conn.execute(text("""
                    INSERT INTO member (house_id, tambon_pcode, seq, national_id, first_name,
                                        last_name, sex, relation)
                    VALUES (:h, :t, :seq, :nid, :first, :last, :sex, :rel)
                """), {"h": hid, "t": tambon, "seq": seq, "nid": national_id(tambon, i, seq),
                       "first": first_name, "last": surname(tambon),
                       "sex": "F" if seq == 1 else "M", "rel": "head" if seq == 1 else "spouse"})
            if is_poor:
                plan_id = conn.execute(text("""
                    INSERT INTO household_plan (house_id, tambon_pcode, round_id, created_on)
                    VALUES (:h, :t, :r, :d) RETURNING plan_id
                """), {"h": hid, "t": tambon, "r": PERM_ROUND[0], "d": date(2023, 6, 1)}).scalar()
                conn.execute(text("""
                    INSERT INTO plan_item (plan_id, house_id, tambon_pcode, horizon, category_code,
                                           agency_code, created_on, due_on)
                    SELECT :p, :h, :t, c.horizon, c.code, (SELECT code FROM agency ORDER BY sort
                                                          LIMIT 1), :d, :d
                    FROM plan_category c ORDER BY c.sort LIMIT 1
                """), {"p": plan_id, "h": hid, "t": tambon, "d": date(2023, 6, 1)})
                conn.execute(text("""
                    INSERT INTO visit (house_id, tambon_pcode, visited_on, visitor_kind)
                    VALUES (:h, :t, :d, 'official')
                """), {"h": hid, "t": tambon, "d": date(2023, 5, 1)})
    from queries import aggregates

    aggregates.refresh(conn)


@contextmanager
def permission_store() -> Iterator[dict[str, tuple[str, str]]]:
    """The store above in a database of its own; yields {role: (username, password)}."""
    from queries.db import owner
    from tests.auth_helpers import create_user

    with isolated_store("chipao_test_perm"):
        with owner() as conn:
            permission_build(conn)
        yield {role: create_user(role, areas) for role, areas in ROLE_AREAS.items()}


# ══ the household list and record store ══════════════════════════════════════
# Villages, households with two survey rounds, members, plans, visits and centres.
HH_LAYOUT = {"TH50": {"TH5001": 3, "TH5002": 1}, "TH10": {"TH1001": 2}}
PER_TAMBON = 40
HH_ROUNDS = ((1, 2565), (2, 2566))
FIRST = ("สมชาย", "สมหญิง", "ประยุทธ", "มาลี", "สุดา", "วิชัย", "John", "Anong")
LAST = ("ใจดี", "มีสุข", "รักไทย", "ทองคำ", "Smith", "ศรีสุข")
RELATIONS = ("spouse", "child", "parent", "grandchild", "relative")
STATUSES = ("not_started", "in_progress", "done", "cancelled")
MEMBER_SPECIFIC_BITS = (0, 4, 5, 6, 9, 15, 16)


def _round_values(rng: random.Random, bits: list[int], failed_p: float) -> tuple[int, int]:
    """(failed, not applicable) indicator bit sets of one household-round."""
    failed = na = 0
    for bit in bits:
        x = rng.random()
        if x < failed_p:
            failed |= 1 << bit
        elif x < failed_p + 0.1 and bit in MEMBER_SPECIFIC_BITS:
            na |= 1 << bit
    return failed, na


def households_build(conn: Connection, seed: int = 7) -> dict:
    """Import and insert everything; returns {'tambons': [...], 'houses': {house_id: tambon}}."""
    rng = random.Random(seed)
    tambons = insert_test_areas(conn, HH_LAYOUT)
    bits = [s.bit for s in sorted(catalogue_specs(conn), key=lambda s: s.bit)]
    add_rounds(conn, HH_ROUNDS)
    houses: dict[str, str] = {}
    rows, centres, people = [], [], []
    centre_no = 0
    for t_index, tambon in enumerate(tambons):
        for v in (1, 2, 3):
            conn.execute(text("INSERT INTO village (tambon_pcode, village_no, name_th) "
                              "VALUES (:t, :v, :n)"), {"t": tambon, "v": v, "n": f"บ้านทดสอบ {v}"})
        lon0, lat0 = conn.execute(text(
            "SELECT ST_X(label_point), ST_Y(label_point) FROM area WHERE pcode = :t"),
            {"t": tambon}).one()
        if t_index % 2 == 0:  # centres in every other tambon: some households far away
            centre_no += 1
            centres.append((f"C{centre_no:03d}", tambon, (lon0, lat0), "open", []))
        for n in range(PER_TAMBON):
            hid = f"{tambon[2:]}{n:04d}"  # e.g. 5001010007
            houses[hid] = tambon
            located = n % 5 != 0
            x, y = lon0 + rng.uniform(-0.02, 0.02), lat0 + rng.uniform(-0.02, 0.02)
            size = rng.randint(1, 7)
            welfare = rng.choice((True, False, None))
            for rid, year in HH_ROUNDS:
                failed, na = _round_values(rng, bits, 0.25 if rid == 1 else 0.12)
                if n % 7 == 3 and rid == 2:  # some leave poverty
                    failed = 0
                rows.append({"house_id": hid, "tambon_pcode": tambon, "village_no": 1 + n % 3,
                             "survey_year": year, "household_size": size,
                             "welfare_card": "" if welfare is None else int(welfare),
                             "lat": y if located else None, "lon": x if located else None,
                             "failed": failed, "not_applicable": na})
            people.append(_household_records(rng, hid, tambon, n, size))
    import_households(conn, pd.DataFrame(rows))
    import_centres(conn, centres)
    for records in people:
        _insert_records(conn, records)
    # Precomputed nearest centre for the first tambon only: the others fall back to KNN.
    conn.execute(text("""
        INSERT INTO household_nearest_centre (house_id, tambon_pcode, centre_id, distance_m)
        SELECT h.house_id, h.tambon_pcode, c.centre_id,
               ST_Distance(h.location::geography, c.location::geography)
        FROM household h CROSS JOIN LATERAL (
            SELECT centre_id, location FROM centre ORDER BY location <-> h.location LIMIT 1) c
        WHERE h.location IS NOT NULL AND h.tambon_pcode = :t"""), {"t": tambons[0]})
    conn.execute(text("ANALYZE"))
    return {"tambons": tambons, "houses": houses}


def _household_records(rng: random.Random, house: str, tambon: str, n: int, size: int) -> dict:
    """Members, plan items and visits of one household, drawn in the generator's order
    (inserted after the household import: these have no file importer)."""
    key = {"h": house, "t": tambon}
    members = [{**key, "seq": seq, "nid": f"{rng.randrange(10**12, 10**13)}",
                "fn": rng.choice(FIRST), "ln": rng.choice(LAST), "sex": rng.choice("MF"),
                "by": rng.randint(2480, 2566),
                "rel": "head" if seq == 1 else rng.choice(RELATIONS)}
               for seq in range(1, size + 1)]
    items = None
    if n % 3 == 0:  # a plan with items for every third household
        created = date(2023, 3, 1)
        items = []
        for cat in rng.sample(("consumer_goods", "job_training", "housing_repair",
                               "health_care"), rng.randint(0, 3)):
            status = rng.choice(STATUSES)
            items.append({**key, "c": cat, "a": rng.choice(("msdhs", "interior", "labour")),
                          "s": status, "cr": created, "due": created + timedelta(days=90),
                          "st": created + timedelta(days=10)
                          if status in ("in_progress", "done") else None,
                          "co": created + timedelta(days=40) if status == "done" else None})
    visits = [{**key, "d": date(2023, 1, 10) + timedelta(days=30 * k),
               "k": rng.choice(("official", "volunteer", "youth_council")),
               "pt": rng.choice(("chronic", "new_poor", "vulnerable", None)),
               "c": ["no_income", "illness"][: 1 + k % 2], "nd": ["job", "house_repair"],
               "note": f"เยี่ยมครั้งที่ {k + 1}"}
              for k in range(n % 4 if n % 2 == 0 else 0)]  # visits for some households
    return {"key": key, "members": members, "items": items, "visits": visits}


def _insert_records(conn: Connection, records: dict) -> None:
    if records["members"]:
        conn.execute(text("""
            INSERT INTO member (house_id, tambon_pcode, seq, national_id, first_name,
                last_name, sex, birth_year_be, relation)
            VALUES (:h, :t, :seq, :nid, :fn, :ln, :sex, :by, :rel)"""), records["members"])
    if records["items"] is not None:
        plan_id = conn.execute(text("""
            INSERT INTO household_plan (house_id, tambon_pcode, round_id, created_on)
            VALUES (:h, :t, 2, :d) RETURNING plan_id"""),
            {**records["key"], "d": date(2023, 3, 1)}).scalar_one()
        for item in records["items"]:
            conn.execute(text("""
                INSERT INTO plan_item (plan_id, house_id, tambon_pcode, horizon,
                    category_code, agency_code, status, created_on, due_on,
                    started_on, completed_on, note)
                SELECT :p, :h, :t, horizon, code, :a, :s, :cr, :due, :st, :co, NULL
                FROM plan_category WHERE code = :c"""), {**item, "p": plan_id})
    if records["visits"]:
        conn.execute(text("""
            INSERT INTO visit (house_id, tambon_pcode, visited_on, visitor_kind,
                poverty_type, causes, needs, note)
            VALUES (:h, :t, :d, :k, :pt, :c, :nd, :note)"""), records["visits"])


# ══ the centre coverage store ════════════════════════════════════════════════
# 0.1° squares from (100.0, 14.0): TH5001 is the first row, TH5002 the second, …
# TH40 has no centre at all (one of the provinces the 76-province target is about);
# TH77 has boundaries but no households.
CENTRES_LAYOUT = {"TH50": {"TH5001": 3, "TH5002": 2}, "TH40": {"TH4001": 2},
                  "TH77": {"TH7701": 1}}
CENTRES_SIZE = 0.1
CENTRES_ROUNDS = ((1, 2565), (2, 2566))
CENTRES_HOUSEHOLDS = 1200
CENTRES_SEED = 5
# code, tambon, (lon, lat), status, services, opened_on
CENTRES = (
    ("C-500101", "TH500101", (100.05, 14.05), "open", ["counselling", "welfare_registration"],
     "2021-06-01"),
    ("C-500103", "TH500103", (100.25, 14.02), "open", ["counselling", "elderly_care"],
     "2021-06-01"),
    ("C-500201", "TH500201", (100.04, 14.16), "planned", ["counselling"], ""),
    ("C-500202", "TH500202", (100.15, 14.15), "closed", ["disability_support"], "2021-06-01"),
)


def centres_build(conn: Connection) -> dict:
    """Import everything and rebuild the aggregates (which runs the coverage refresh)."""
    from queries import aggregates

    rng = np.random.default_rng(CENTRES_SEED)
    frames, tambons = square_frames(CENTRES_LAYOUT, size=CENTRES_SIZE)
    import_frames(conn, frames)
    origin = {p: g.bounds[:2] for p, g in zip(frames[3]["ADM3_PCODE"], frames[3].geometry, strict=True)}
    surveyed = [t for t in tambons if not t.startswith("TH77")]
    add_rounds(conn, CENTRES_ROUNDS)
    n = CENTRES_HOUSEHOLDS
    idx = rng.integers(0, len(surveyed), n)
    x0 = np.array([origin[surveyed[i]][0] for i in idx])
    y0 = np.array([origin[surveyed[i]][1] for i in idx])
    lon = x0 + 0.002 + rng.random(n) * (CENTRES_SIZE - 0.004)
    lat = y0 + 0.002 + rng.random(n) * (CENTRES_SIZE - 0.004)
    located = rng.random(n) > 0.05
    houses = [f"C{k:07d}" for k in range(n)]
    village = 1 + rng.integers(0, 3, n)
    # poverty higher in the second district and in TH40
    base = np.array([0.25 + 0.2 * surveyed[i].startswith("TH5002")
                     + 0.25 * surveyed[i].startswith("TH40") for i in idx])
    specs = catalogue_specs(conn)
    frames_by_round = []
    for _rid, year in CENTRES_ROUNDS:
        dims = np.where(rng.random(n) < base, 1 + rng.integers(0, 31, n), 0)
        card = rng.random(n) < 0.5
        frames_by_round.append(pd.DataFrame({
            "house_id": houses, "tambon_pcode": [surveyed[i] for i in idx],
            "village_no": village, "survey_year": year, "household_size": 3,
            "welfare_card": card.astype(int), "lat": np.where(located, lat, np.nan),
            "lon": np.where(located, lon, np.nan),
            "failed": failed_bits_for_dims(dims, specs), "not_applicable": 0}))
    import_households(conn, pd.concat(frames_by_round, ignore_index=True))
    import_centres(conn, CENTRES)
    aggregates.refresh(conn)
    return {"tambons": tambons, "surveyed": surveyed, "houses": houses}


@contextmanager
def centres_store() -> Iterator[dict]:
    """A database of its own holding centres_build()'s data; the geometry cache is
    cleared on the way in and out."""
    from geodata.serve import invalidate_geometry_cache
    from queries.db import owner

    with isolated_store("chipao_centres") as url:
        invalidate_geometry_cache()
        with owner() as conn:
            info = centres_build(conn)
        try:
            yield {**info, "url": url}
        finally:
            invalidate_geometry_cache()


# ══ the plan-progress store ══════════════════════════════════════════════════
# 2 provinces, 3 districts, 4 tambons; households with two survey rounds, visits,
# development plans and items, process steps and province targets, generated from a
# seed. The tests compare the aggregates with SQL of their own over these rows.
PLANS_ROUNDS = ((1, 2565), (2, 2566))
PLANS_TAMBONS = ("TH100101", "TH100102", "TH100201", "TH200101")
PLANS_DISTRICTS = ("TH1001", "TH1002", "TH2001")
PLANS_PROVINCES = ("TH10", "TH20")
TARGETS = {"TH10": 100, "TH20": 60}
PLANS_HOUSEHOLDS = 80
TZ_OFFSET = timedelta(hours=7)


def plans_areas(conn: Connection) -> None:
    """The four tambons as 0.1° squares in one row from (100.0, 14.0); districts and
    provinces their unions."""
    tambons = {p: (_box(100.0 + 0.1 * k, 14.0, 100.1 + 0.1 * k, 14.1), f"ตำบล {p}",
                   f"Tambon {p}") for k, p in enumerate(PLANS_TAMBONS)}

    def unions(codes: Iterable[str]) -> dict:
        return {c: (shapely.union_all([g for p, (g, _, _) in tambons.items()
                                       if p.startswith(c)]), f"พื้นที่ {c}", f"Area {c}")
                for c in codes}

    import_frames(conn, small_frames(tambons, unions(PLANS_DISTRICTS), unions(PLANS_PROVINCES)))


def _rand_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def plans_build(conn: Connection, today: date, seed: int = 5) -> dict:
    """Everything but the areas; returns {'open_item': id in TH100101, …} for the tests."""
    rng = random.Random(seed)
    add_rounds(conn, PLANS_ROUNDS)
    conn.execute(text("INSERT INTO village (tambon_pcode, village_no) VALUES (:t, :v)"),
                 [{"t": t, "v": v} for t in PLANS_TAMBONS for v in (1, 2)])
    conn.execute(text("INSERT INTO province_target VALUES (:p, :n)"),
                 [{"p": p, "n": n} for p, n in TARGETS.items()])
    categories = conn.execute(text("SELECT code, horizon FROM plan_category")).all()
    agencies = list(conn.execute(text("SELECT code FROM agency ORDER BY sort")).scalars())
    specs = catalogue_specs(conn)
    rows, visits, plans = [], [], []
    for n in range(PLANS_HOUSEHOLDS):
        house = f"H{n:05d}"
        tambon = PLANS_TAMBONS[n % len(PLANS_TAMBONS)] if n % 7 else PLANS_TAMBONS[0]
        village, target = 1 + n % 2, rng.random() < 0.8
        for round_id, year in PLANS_ROUNDS:
            if round_id == 2 and rng.random() < 0.1:
                continue  # not surveyed again
            dims = rng.choice([0, 0, 1, 2, 3, 4, 8, 16, 5]) if rng.random() < 0.9 else 31
            rows.append({"house_id": house, "tambon_pcode": tambon, "village_no": village,
                         "survey_year": year, "household_size": rng.randint(1, 6),
                         "programme_target": int(target), "dims": dims, "not_applicable": 0})
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            visits.append({"h": house, "t": tambon,
                           "d": _rand_date(rng, date(2021, 6, 1), date(2024, 12, 31)),
                           "kind": rng.choice(["official", "volunteer", "youth_council"]),
                           "pt": rng.choice([None, "chronic", "new_poor", "vulnerable"])})
        for round_id, start, end in ((1, date(2022, 2, 1), date(2022, 12, 31)),
                                     (2, date(2023, 2, 1), date(2024, 8, 31))):
            if rng.random() < 0.6:
                plans.append({"h": house, "t": tambon, "r": round_id,
                              "c": _rand_date(rng, start, end)})
    frame = pd.DataFrame(rows)
    frame["failed"] = failed_bits_for_dims(frame.pop("dims").to_numpy(), specs)
    import_households(conn, frame)
    conn.execute(text("""INSERT INTO visit (house_id, tambon_pcode, visited_on, visitor_kind,
                            poverty_type) VALUES (:h, :t, :d, :kind, :pt)"""), visits)
    items = []
    now = datetime.combine(today, time(12)) - TZ_OFFSET
    for plan in plans:
        plan_id = conn.execute(text("""INSERT INTO household_plan (house_id, tambon_pcode,
                                         round_id, created_on) VALUES (:h, :t, :r, :c)
                                       RETURNING plan_id"""), plan).scalar_one()
        for _ in range(rng.choice([0, 1, 2, 3, 4])):
            category, horizon = rng.choice(categories)
            created = plan["c"]
            due = created + timedelta(days=rng.randint(20, 900))
            status = rng.choice(["not_started", "in_progress", "in_progress", "done", "done",
                                 "done", "cancelled"])
            started = completed = None
            if status in ("in_progress", "done"):
                started = _rand_date(rng, created, min(today, created + timedelta(days=200)))
            if status == "done":
                completed = _rand_date(rng, started, min(today, started + timedelta(days=300)))
            last = completed or started or created
            updated = (datetime.combine(_rand_date(rng, last, today), time(rng.randint(0, 23)))
                       - TZ_OFFSET)
            items.append({"plan": plan_id, "h": plan["h"], "t": plan["t"], "hz": horizon,
                          "cat": category, "ag": rng.choice(agencies), "s": status,
                          "c": created, "due": due, "st": started, "co": completed,
                          "u": min(updated, now)})
    # boundaries: an open item due today is not overdue yet; one due yesterday is
    open_items = [i for i in items if i["s"] in ("not_started", "in_progress")]
    open_items[0]["due"], open_items[1]["due"] = today, today - timedelta(days=1)
    conn.execute(text("""INSERT INTO plan_item (plan_id, house_id, tambon_pcode, horizon,
                            category_code, agency_code, status, created_on, due_on, started_on,
                            completed_on, updated_at)
                         VALUES (:plan, :h, :t, :hz, :cat, :ag, :s, :c, :due, :st, :co,
                                 CAST(:u AS timestamp) AT TIME ZONE 'UTC')"""), items)
    steps = []
    for pcode, done_upto, in_progress in (("TH10", 5, 6), ("TH20", 3, None), ("TH1001", 7, 8)):
        for step in range(1, done_upto + 1):
            steps.append({"p": pcode, "n": step, "s": "done", "st": date(2022, step, 1),
                          "co": date(2022, step, 20)})
        if in_progress:
            steps.append({"p": pcode, "n": in_progress, "s": "in_progress",
                          "st": date(2022, in_progress, 1), "co": None})
    conn.execute(text("INSERT INTO area_process_step VALUES (:p, :n, :s, :st, :co)"), steps)
    open_item = conn.execute(text("""
        SELECT i.item_id FROM plan_item i JOIN household_plan p USING (plan_id)
        WHERE i.tambon_pcode = 'TH100101' AND i.status = 'not_started'
        ORDER BY i.item_id LIMIT 1""")).scalar_one()
    other_item = conn.execute(text("""
        SELECT item_id FROM plan_item WHERE tambon_pcode = 'TH100201'
          AND status = 'not_started' ORDER BY item_id LIMIT 1""")).scalar_one()
    return {"open_item": open_item, "other_item": other_item}


# ══ synthetic survey results for the map tests ═══════════════════════════════
# Households with results in two survey rounds, generated with numpy from a seed,
# varying by region, tambon and indicator, imported as a household file; then the
# aggregates are rebuilt. The tests compare what the map shows with figures computed
# independently from the household_round rows the importer wrote.
MAP_ROUNDS = ((1, 2565), (2, 2566))
# Base failure rate of each indicator, by bit (17 TPMAP indicators).
BASE_RATES = np.array([0.04, 0.06, 0.04, 0.16, 0.06, 0.03, 0.08, 0.06, 0.10, 0.12, 0.18,
                       0.07, 0.05, 0.06, 0.09, 0.05, 0.04])
VILLAGES_PER_TAMBON = 5


def _region_factor(pcodes: np.ndarray) -> np.ndarray:
    """Higher deprivation in the north-east and the deep south, lower around Bangkok."""
    prov = np.array([int(p[2:4]) for p in pcodes])
    factor = np.ones(len(pcodes))
    factor[(prov >= 30) & (prov < 50)] = 1.6
    factor[(prov >= 50) & (prov < 70)] = 1.2
    factor[prov >= 90] = 1.4
    factor[prov < 20] = 0.6
    return factor


def map_households(tambons: list[str], n: int, specs: list[IndicatorSpec], seed: int = 7,
                   rounds: tuple[tuple[int, int], ...] = MAP_ROUNDS,
                   sparse_tambons: int = 0) -> pd.DataFrame:
    """Household-file rows (see household_file), one per household and round. The last
    `sparse_tambons` tambons get only a handful of households (too few for a stable rate)."""
    rng = np.random.default_rng(seed)
    tambons_arr = np.array(tambons)
    t_effect = _region_factor(tambons_arr) * np.exp(rng.normal(0, 0.45, len(tambons)))
    dense = len(tambons) - sparse_tambons
    idx = rng.integers(0, max(dense, 1), n)
    if sparse_tambons:
        few = np.repeat(np.arange(dense, len(tambons)), 3)[: n // 4]
        idx[: len(few)] = few
    house = np.char.add(f"S{seed % 10}", np.char.zfill(np.arange(n).astype(str), 9))
    village = 1 + rng.integers(0, VILLAGES_PER_TAMBON, n)
    bits = np.array([s.bit for s in specs])
    member = np.array([s.applies_to is not None for s in specs])
    base = BASE_RATES[bits % len(BASE_RATES)]
    p = np.minimum(0.9, base[None, :] * t_effect[idx][:, None])
    not_app = member[None, :] & (rng.random((n, len(specs))) < 0.55)
    size = 1 + rng.integers(0, 8, n)
    frames = []
    fails = None
    dim_of = np.array([s.dimension_sort for s in specs])
    for i, (_round_id, year) in enumerate(rounds):
        u = rng.random((n, len(specs)))
        if fails is None:
            fails = u < p
        else:  # a later round: some recover, a few newly fail
            fails = np.where(fails, u >= 0.3 + 0.05 * i, u < p * 0.35)
        fails &= ~not_app
        dims = np.zeros(n, dtype=np.int64)
        for s in np.unique(dim_of):
            dims |= fails[:, dim_of == s].any(axis=1).astype(np.int64) << s
        card = rng.random(n) < 0.2 + 0.35 * (dims != 0)
        frames.append(pd.DataFrame({
            "house_id": house, "tambon_pcode": tambons_arr[idx], "village_no": village,
            "survey_year": year, "household_size": size, "welfare_card": card.astype(int),
            "failed": (fails.astype(np.int64) << bits).sum(axis=1),
            "not_applicable": (not_app.astype(np.int64) << bits).sum(axis=1)}))
    return pd.concat(frames, ignore_index=True)


def map_load(conn: Connection, tambons: list[str], n: int, seed: int = 7,
             sparse_tambons: int = 0, refresh: bool = True) -> dict[str, int]:
    """Import `n` synthetic households in two rounds into the tambons (owner
    connection) and rebuild the aggregates. Returns row counts."""
    from queries import aggregates

    add_rounds(conn, MAP_ROUNDS, label="รอบปี")
    conn.execute(text("INSERT INTO village (tambon_pcode, village_no) VALUES (:t, :v) "
                      "ON CONFLICT DO NOTHING"),
                 [{"t": t, "v": v} for t in tambons for v in range(1, VILLAGES_PER_TAMBON + 1)])
    rows = map_households(tambons, n, catalogue_specs(conn), seed=seed,
                          sparse_tambons=sparse_tambons)
    result = import_households(conn, rows)
    if refresh:
        aggregates.refresh(conn)
    return {"households": result.households_inserted, "household_round": len(rows)}


# The map tests' store. Provinces → districts → number of tambons. TH77 has boundaries
# but no households; the last tambon surveyed (TH400102) has only 3 households a round.
MAP_LAYOUT = {"TH10": {"TH1001": 2, "TH1002": 1}, "TH40": {"TH4001": 2},
              "TH50": {"TH5001": 3, "TH5002": 2}, "TH77": {"TH7701": 1}}
MAP_HOUSEHOLDS = 3000
MAP_SPARSE = "TH400102"


def map_surveyed(tambons: list[str]) -> list[str]:
    """The surveyed tambons of MAP_LAYOUT, the sparse one last (see map_load)."""
    surveyed = [t for t in tambons if not t.startswith("TH77") and t != MAP_SPARSE]
    return [*surveyed, MAP_SPARSE]


@contextmanager
def map_store() -> Iterator[str]:
    """A database of its own with the MAP_LAYOUT areas and MAP_HOUSEHOLDS synthetic
    households in two rounds (aggregates rebuilt); the geometry cache is cleared on the
    way in and out, since other test modules serve other areas. Use it in a
    module-scoped fixture (after the session's `database` fixture)."""
    from geodata.serve import invalidate_geometry_cache
    from queries.db import owner

    with isolated_store("chipao_map") as url:
        invalidate_geometry_cache()
        with owner() as conn:
            tambons = insert_test_areas(conn, MAP_LAYOUT, size=0.1)
            map_load(conn, map_surveyed(tambons), MAP_HOUSEHOLDS, seed=11, sparse_tambons=1)
        try:
            yield url
        finally:
            invalidate_geometry_cache()
