"""Social-help centres: nearest-centre refresh, coverage, service gaps, the planner's
inputs and the centre import. Every SQL statement of the centres feature is here.

Nearest centre, exactly, with the GiST index
--------------------------------------------
Locations are geometry(Point, 4326), so ``<->`` orders by distance in *degrees*. A
degree of longitude is shorter than a degree of latitude away from the equator
(cos φ: 6.5 % at 20.5° N), so the nearest centre by degrees is not always the nearest
by metres (in a 4 M-household test about 1 % differ, by up to 1.2 km). Each search
takes the two nearest open centres by ``<->`` (KNN on the GiST index, in a
``CROSS JOIN LATERAL``), d₁ ≤ d₂ degrees away, and measures the first on the spheroid
(geography): g₁ metres. Any other centre lies at least d₂ degrees away, and a degree in
any direction spans at least ``m_min`` metres, where

    m_min = min(110 574.27, 111 319.49 · cos φ*)   (WGS84: a·(1−e²)·π/180 and a·π/180)

and φ* bounds the latitude any centre closer than g₁ can lie at (|φ| + g₁/110 574.27°,
plus a margin for the poleward bulge of long geodesics). So when ``g₁ ≤ d₂ · m_min``
the first centre is the nearest by metres: certified. The rest (a few percent) get an
exact search: every open centre in the box of ``g₁ / m_min`` degrees around the point
(which contains every centre within g₁ metres), measured on the spheroid. Distances
are metres on the WGS84 spheroid. docs/centres.md has the argument in full.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, text

from chipao.domain.centres import CentreReject
from chipao.domain.pcodes import pcode_level
from chipao.domain.scope import Scope
from queries import rollup
from queries.audit import record
from queries.sql import sql
from queries.suppression import share, suppress

DEMAND_CELL_DEG = 0.01  # ~1.1 km: the planner's demand cells (see agg_centre_demand)
MAX_BAND_KM = 50  # bands 0..49 are 1 km wide; 50 = 50 km and more; 99 = no open centre
NO_CENTRE_BAND = 99
# A tambon's populated centroid is the mean of its households' locations only when at
# least this many are located: fewer would all but give away one household's home.
MIN_CENTROID_HOUSEHOLDS = 10


# ── nearest open centre (certified KNN) ──────────────────────────────────────
# The open centres are copied into a temporary table with its own GiST index, packed
# to 10 % per page: a KNN probe scores every key of each index page it opens (~290 on
# a full page), so sparse pages make each of the 4 M probes ~3x cheaper. (Only the
# buffering build honours fillfactor. A separate table also keeps the planner from
# probing centre's own index, which holds closed and planned centres too.)


def _open_centres(conn: Connection) -> int:
    """(Re)create pg_temp.open_centre for this transaction; returns how many are open."""
    conn.connection.driver_connection.execute(sql("centres/open_centres"))
    return int(conn.execute(text("SELECT count(*) FROM open_centre")).scalar_one())


def _nearest_sql(source: str, keys: tuple[str, ...]) -> str:
    """SELECT <keys>, lon, lat, centre_id, distance_m, exact_search for every row of
    `source` (a relation with the key columns and `location`; centre_id and distance_m
    are NULL when no centre is open). `source` and `keys` are this module's constants."""
    k = ", ".join(f"s.{c}" for c in keys)
    return sql("centres/nearest").format(keys=k, source=source)


NEAREST_HOUSEHOLD_SQL = _nearest_sql(
    "SELECT house_id, tambon_pcode, location FROM household WHERE location IS NOT NULL",
    ("house_id", "tambon_pcode"))
# the located households of the tambons an import touched (queries/rollup.py)
NEAREST_TOUCHED_SQL = _nearest_sql(
    "SELECT house_id, tambon_pcode, location FROM household WHERE location IS NOT NULL AND "  # noqa: S608
    + rollup.tambon_filter(True), ("house_id", "tambon_pcode"))
NEAREST_TAMBON_SQL = _nearest_sql(
    "SELECT tambon_pcode, centroid AS location FROM tambon_coverage", ("tambon_pcode",))
NEAREST_POINTS_SQL = _nearest_sql(
    "SELECT p.id, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326) AS location "
    "FROM unnest(CAST(:ids AS int[]), CAST(:lons AS float8[]), CAST(:lats AS float8[])) "
    "AS p(id, lon, lat)", ("id",))


def nearest_open_centre(conn: Connection,
                        points: list[tuple[float, float]]) -> list[dict | None]:
    """Nearest open centre to each (lon, lat): {centre_id, distance_m, exact_search}, or
    None when no centre is open. The refresh's search, for checks and tests."""
    if not points:
        return []
    _open_centres(conn)
    rows = conn.execute(text(NEAREST_POINTS_SQL), {
        "ids": list(range(len(points))), "lons": [float(p[0]) for p in points],
        "lats": [float(p[1]) for p in points]}).mappings().all()
    out: list[dict | None] = [None] * len(points)
    for r in rows:
        if r["centre_id"] is not None:
            out[r["id"]] = {"centre_id": r["centre_id"], "distance_m": float(r["distance_m"]),
                            "exact_search": r["exact_search"]}
    return out


@contextmanager
def _local_setting(conn: Connection, name: str, value: str) -> Iterator[None]:
    """SET LOCAL for a block, restored afterwards (the caller's transaction goes on)."""
    before = conn.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar_one()
    conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    yield
    conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": before})


@dataclass
class CoverageRefresh:
    households: int = 0  # located households given a nearest open centre
    located: int = 0  # located households
    open_centres: int = 0
    exact_searches: int = 0  # households whose KNN answer needed the exact search
    tambons: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        return (f"nearest open centre for {self.households:,} of {self.located:,} located "
                f"households ({self.exact_searches:,} by exact search) and {self.tambons:,} "
                f"tambons; {self.open_centres:,} open centres; {self.seconds:.1f} s")


def _stage_nearest(conn: Connection, incremental: bool) -> tuple[int, int, int]:
    """pg_temp.nearest_stage: every located household (incremental: of the touched
    tambons) with its location and nearest open centre. Returns (located, with a
    centre, exact searches)."""
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.nearest_stage"))
    # distance_m is stored as real: bands are cut from that same value
    conn.execute(text(f"""
        CREATE TEMP TABLE nearest_stage ON COMMIT DROP AS
        SELECT house_id, tambon_pcode, lon, lat, centre_id, distance_m::real AS distance_m,
               exact_search
        FROM ({NEAREST_TOUCHED_SQL if incremental else NEAREST_HOUSEHOLD_SQL}) n
    """))  # noqa: S608
    located, with_centre, exact = conn.execute(text(
        "SELECT count(*), count(centre_id), count(*) FILTER (WHERE exact_search) "
        "FROM nearest_stage")).one()
    return int(located), int(with_centre), int(exact)


def _store_nearest(conn: Connection, incremental: bool) -> None:
    """Replace household_nearest_centre (incremental: the touched tambons' rows) with
    the stage.

    DELETE + INSERT, not TRUNCATE or dropped indexes: those take ACCESS EXCLUSIVE
    locks that would make every reader of the table (the centres page) wait until the
    whole refresh commits; row changes do not block readers, who keep seeing the old
    rows (MVCC) until the commit. Autovacuum reclaims the dead rows."""
    rollup.clear(conn, "household_nearest_centre", incremental, "tambon_pcode", levels=False)
    conn.execute(text("""
        INSERT INTO household_nearest_centre (house_id, tambon_pcode, centre_id, distance_m)
        SELECT house_id, tambon_pcode, centre_id, distance_m
        FROM nearest_stage WHERE centre_id IS NOT NULL
        ORDER BY house_id
    """))
    conn.execute(text("ANALYZE household_nearest_centre"))


def _refresh_tambons(conn: Connection, incremental: bool) -> int:
    """tambon_coverage: populated centroid, centres and nearest open centre per tambon
    (incremental: of the touched tambons)."""
    rollup.clear(conn, "tambon_coverage", incremental, "tambon_pcode", levels=False)
    conn.execute(text(sql("centres/tambon_coverage").format(
        where=rollup.tambon_filter(incremental, "a.pcode"))), {"min_n": MIN_CENTROID_HOUSEHOLDS})
    conn.execute(text(f"""
        UPDATE tambon_coverage t SET centre_id = n.centre_id, distance_m = n.distance_m
        FROM ({NEAREST_TAMBON_SQL}) n
        WHERE n.tambon_pcode = t.tambon_pcode AND {rollup.tambon_filter(incremental, "t.tambon_pcode")}
    """))  # noqa: S608
    conn.execute(text("ANALYZE tambon_coverage"))
    return int(conn.execute(text("SELECT count(*) FROM tambon_coverage")).scalar_one())


def _refresh_aggregates(conn: Connection, incremental: bool) -> None:
    """agg_centre_distance (bands per area, rolled up) and agg_centre_demand (cells),
    from the stage (incremental: the touched tambons' and their parents' rows)."""
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.coverage_cell"))
    with _local_setting(conn, "work_mem", "512MB"):
        conn.execute(text(sql("centres/coverage_cells").format(
            cell_deg=DEMAND_CELL_DEG, no_centre_band=NO_CENTRE_BAND, max_band_km=MAX_BAND_KM)))
    rollup.clear(conn, "agg_centre_distance", incremental)
    conn.execute(text("""
        INSERT INTO agg_centre_distance (round_id, level, pcode, band, located, poor,
                                         target_poor, poor_km)
        SELECT round_id, 3, tambon_pcode, band, sum(located), sum(poor), sum(target_poor),
               sum(poor_km)
        FROM coverage_cell GROUP BY round_id, tambon_pcode, band
    """))
    rollup.roll_up(conn, "agg_centre_distance", ["round_id", "band"],
                   ["located", "poor", "target_poor", "poor_km"],
                   ["sum(located)", "sum(poor)", "sum(target_poor)", "sum(poor_km)"], incremental)
    rollup.clear(conn, "agg_centre_demand", incremental, "tambon_pcode", levels=False)
    conn.execute(text("""
        INSERT INTO agg_centre_demand (round_id, tambon_pcode, cx, cy, band, poor, target_poor,
                                       lon, lat)
        SELECT round_id, tambon_pcode, cx, cy, band, poor, target_poor,
               sum_lon / poor, sum_lat / poor
        FROM coverage_cell
        WHERE poor > 0 AND band > 0  -- within 1 km: covered at any distance the page offers
    """))
    conn.execute(text("ANALYZE agg_centre_distance"))
    conn.execute(text("ANALYZE agg_centre_demand"))


def refresh_coverage(conn: Connection, incremental: bool = False) -> CoverageRefresh:
    """Recompute the nearest open centre of every located household and tambon, and the
    coverage aggregates, in the caller's transaction. Call it after centre or household
    imports (queries.aggregates.refresh does); readers see the old figures until the
    transaction commits. `incremental`: only the households and tambons of
    pg_temp.touched_tambon (queries/rollup.py; a household import — the centres are
    unchanged, so no other household's nearest centre can change)."""
    started = time.perf_counter()
    result = CoverageRefresh()

    def phase(name: str, t0: float) -> float:
        now = time.perf_counter()
        result.phases[name] = round(now - t0, 2)
        return now

    t = started
    result.open_centres = _open_centres(conn)
    result.located, result.households, result.exact_searches = _stage_nearest(conn, incremental)
    t = phase("nearest", t)
    _store_nearest(conn, incremental)
    t = phase("store", t)
    result.tambons = _refresh_tambons(conn, incremental)
    t = phase("tambons", t)
    _refresh_aggregates(conn, incremental)
    t = phase("aggregates", t)
    if incremental:  # the stored totals count every household, not only the stage's
        result.households = int(conn.execute(text(
            "SELECT count(*) FROM household_nearest_centre")).scalar_one())
    result.seconds = time.perf_counter() - started
    conn.execute(text("""
        INSERT INTO coverage_refresh (singleton, refreshed_at, seconds, households,
                                      open_centres, exact_searches)
        VALUES (true, now(), :s, :h, :c, :e)
        ON CONFLICT (singleton) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at,
            seconds = EXCLUDED.seconds, households = EXCLUDED.households,
            open_centres = EXCLUDED.open_centres, exact_searches = EXCLUDED.exact_searches
    """), {"s": result.seconds, "h": result.households, "c": result.open_centres,
           "e": result.exact_searches})
    return result


# ── reading: centres, coverage, gaps ─────────────────────────────────────────
STATUSES = ("open", "planned", "closed")
PROVINCE_TARGET = 76  # a centre network in 76 provinces by B.E. 2566 (mission brief)


def refresh_info(conn: Connection) -> dict | None:
    row = conn.execute(text("SELECT refreshed_at, seconds, households, open_centres, "
                            "exact_searches FROM coverage_refresh")).mappings().first()
    return dict(row) if row else None


def list_centres(conn: Connection, scope: Scope, area: str = "TH",
                 statuses: Sequence[str] | None = None,
                 services: Sequence[str] | None = None) -> list[dict]:
    """Centres inside `area` (a P-code prefix), optionally of some statuses and offering
    any of `services`, with their tambon's names. Centres are public facilities, not
    personal data: every scope reads them whole."""
    rows = conn.execute(text("""
        SELECT c.centre_id, c.code, c.name_th, c.name_en, c.tambon_pcode,
               t.name_th AS tambon_th, t.name_en AS tambon_en,
               d.name_th AS district_th, d.name_en AS district_en,
               ST_X(c.location) AS lon, ST_Y(c.location) AS lat,
               c.opened_on, c.status, c.services
        FROM centre c
        JOIN area t ON t.pcode = c.tambon_pcode
        LEFT JOIN area d ON d.pcode = t.parent_pcode
        WHERE starts_with(c.tambon_pcode, :area)
          AND (CAST(:statuses AS text[]) IS NULL OR c.status = ANY (CAST(:statuses AS text[])))
          AND (CAST(:services AS text[]) IS NULL OR c.services && CAST(:services AS text[]))
        ORDER BY c.tambon_pcode, c.code
    """), {"area": area, "statuses": list(statuses) if statuses else None,
           "services": list(services) if services else None}).mappings()
    return [dict(r) for r in rows]


def service_names(conn: Connection) -> list[str]:
    """Every service some centre offers, alphabetically."""
    return list(conn.execute(text(
        "SELECT DISTINCT s FROM centre, unnest(services) AS s ORDER BY s")).scalars())


def network_counts(conn: Connection, scope: Scope, area: str = "TH") -> dict:
    """Tambons (and, nationally, provinces) with and without a centre, inside `area`:
    counts of areas and centres, never of households, so no scope suppresses them."""
    row = conn.execute(text("""
        SELECT count(*) AS tambons,
               count(*) FILTER (WHERE open_centres > 0) AS tambons_open,
               count(*) FILTER (WHERE open_centres = 0 AND planned_centres > 0) AS tambons_planned_only,
               count(DISTINCT left(tambon_pcode, 4)) AS provinces,
               count(DISTINCT left(tambon_pcode, 4)) FILTER (WHERE open_centres > 0)
                   AS provinces_open,
               count(DISTINCT left(tambon_pcode, 4))
                   FILTER (WHERE open_centres > 0 OR planned_centres > 0) AS provinces_any,
               coalesce(sum(open_centres), 0) AS open_centres,
               coalesce(sum(planned_centres), 0) AS planned_centres
        FROM tambon_coverage WHERE starts_with(tambon_pcode, :area)
    """), {"area": area}).mappings().one()
    out = dict(row)
    out["tambons_without"] = out["tambons"] - out["tambons_open"]
    out["provinces_without"] = out["provinces"] - out["provinces_open"]
    out["province_target"] = PROVINCE_TARGET
    return out


def provinces_without_centre(conn: Connection, scope: Scope) -> list[dict]:
    """Provinces with no open centre in any of their tambons (the 76-province target);
    facilities, not households: the same for every scope."""
    rows = conn.execute(text("""
        SELECT a.pcode, a.name_th, a.name_en
        FROM area a
        WHERE a.level = 1
          AND NOT EXISTS (SELECT 1 FROM centre c
                          WHERE c.status = 'open' AND starts_with(c.tambon_pcode, a.pcode))
        ORDER BY a.pcode
    """)).mappings()
    return [dict(r) for r in rows]


def area_counts(conn: Connection, scope: Scope, round_id: int, area: str) -> dict:
    """Surveyed, poor and located households of one area and round (agg_area_count)."""
    rows = conn.execute(text("""
        SELECT measure, households FROM agg_area_count
        WHERE round_id = :r AND level = :level AND pcode = :area
          AND measure IN ('surveyed', 'poor', 'target_poor', 'located')
    """), {"r": round_id, "level": pcode_level(area), "area": area}).all()
    return {m: suppress(int(n), scope) for m, n in rows}


def _band_sums(d: str = ":d") -> str:
    """Sums over agg_centre_distance rows `x` for a threshold of `d` whole km."""
    return f"""
        coalesce(sum(x.located), 0) AS located,
        coalesce(sum(x.poor), 0) AS poor,
        coalesce(sum(x.poor) FILTER (WHERE x.band < {d}), 0) AS poor_within,
        coalesce(sum(x.poor) FILTER (WHERE x.band >= {d}), 0) AS poor_beyond,
        coalesce(sum(x.poor) FILTER (WHERE x.band = {NO_CENTRE_BAND}), 0) AS poor_no_centre,
        coalesce(sum(x.target_poor), 0) AS target_poor,
        coalesce(sum(x.target_poor) FILTER (WHERE x.band < {d}), 0) AS target_within,
        sum(x.poor_km) FILTER (WHERE x.band <> {NO_CENTRE_BAND}) AS poor_km,
        coalesce(sum(x.poor) FILTER (WHERE x.band <> {NO_CENTRE_BAND}), 0) AS poor_measured,
        coalesce(sum(x.poor_km - {d} * x.poor)
                 FILTER (WHERE x.band >= {d} AND x.band <> {NO_CENTRE_BAND}), 0) AS gap_km
    """


def _finish(row: dict, scope: Scope) -> dict:
    """Shares and mean distance from the raw sums, then small-count suppression."""
    poor, within = row.get("poor") or 0, row.get("poor_within") or 0
    measured = row.get("poor_measured") or 0
    out = dict(row)
    out["share_within"] = share(within, poor, scope)
    out["share_beyond"] = share(poor - within, poor, scope) if poor else None
    out["target_share_within"] = share(row.get("target_within") or 0, row.get("target_poor") or 0,
                                       scope)
    out["mean_km"] = (row["poor_km"] / measured) if measured and row.get("poor_km") is not None \
        else None
    for key in ("located", "poor", "poor_within", "poor_beyond", "poor_no_centre",
                "target_poor", "target_within"):
        out[key] = suppress(int(row[key] or 0), scope)
    if scope.suppress_small_counts and out["poor_beyond"] is None:
        out["gap_km"] = None
    out.pop("poor_measured", None)
    return out


# At most 52 rows of one (round, level, area) by primary key: well under a millisecond.
COVERAGE_SUMMARY_SQL = f"""
    SELECT {_band_sums()} FROM agg_centre_distance x
    WHERE x.round_id = :r AND x.level = :level AND x.pcode = :area
"""  # noqa: S608 - constants of this module


def coverage_summary(conn: Connection, scope: Scope, round_id: int, area: str,
                     distance_km: int) -> dict:
    """Coverage of one area (any level; 'TH' the country) at a threshold of
    `distance_km` whole km: poor located households within / beyond it, shares, the
    mean distance and the gap score (household-km beyond the threshold)."""
    row = conn.execute(text(COVERAGE_SUMMARY_SQL), {
        "r": round_id, "level": pcode_level(area), "area": area, "d": int(distance_km),
    }).mappings().one()
    return _finish(dict(row), scope)


GAP_SORTS = {  # allow-list: user-facing sort key -> SQL expression over the sums
    "beyond": "poor_beyond DESC NULLS LAST, gap_km DESC NULLS LAST",
    "gap": "gap_km DESC NULLS LAST, poor_beyond DESC NULLS LAST",
    "share": "share_beyond DESC NULLS LAST, poor_beyond DESC NULLS LAST",
    "poverty": "poverty_share DESC NULLS LAST, poor_beyond DESC NULLS LAST",
}


def coverage_by_area(conn: Connection, scope: Scope, round_id: int, level: int,
                     parent: str, distance_km: int, sort: str = "beyond",
                     limit: int | None = None) -> list[dict]:
    """Coverage of every area of `level` inside `parent`, with names, the surveyed and
    poor counts of the round (poverty share) and the gap figures, ordered by an
    allow-listed sort key (GAP_SORTS): the gap ranking and the bivariate map's data."""
    if level not in (1, 2, 3):
        raise ValueError(f"level must be 1, 2 or 3, not {level!r}")
    order = GAP_SORTS.get(sort)
    if order is None:
        raise ValueError(f"unknown sort {sort!r}: one of {', '.join(GAP_SORTS)}")
    statement = sql("centres/gap_areas").format(band_sums=_band_sums(), order=order)  # allow-listed
    rows = conn.execute(text(statement), {"r": round_id, "level": level, "parent": parent,
                                          "d": int(distance_km), "limit": limit}).mappings()
    out = []
    for rank, r in enumerate(rows, start=1):
        row = _finish(dict(r), scope)
        row["rank"] = rank
        row["surveyed"] = suppress(r["surveyed"], scope)
        row["poverty_share"] = share(r["poor_all"], r["surveyed"], scope)
        out.append(row)
    return out


def area_measure(conn: Connection, scope: Scope, round_id: int, level: int, parent: str,
                 measure: str) -> list[dict]:
    """A stored agg_area_count measure and the surveyed count per area (the choropleth
    under the centres). `measure` must be a stored measure name (checked by the caller
    against measure_options; bound here anyway)."""
    rows = conn.execute(text("""
        SELECT a.pcode, a.name_th, a.name_en, m.households AS n, s.households AS surveyed
        FROM area a
        LEFT JOIN agg_area_count m ON m.round_id = :r AND m.level = :level
             AND m.measure = :measure AND m.pcode = a.pcode
        LEFT JOIN agg_area_count s ON s.round_id = :r AND s.level = :level
             AND s.measure = 'surveyed' AND s.pcode = a.pcode
        WHERE a.level = :level AND starts_with(a.pcode, :parent)
        ORDER BY a.pcode
    """), {"r": round_id, "level": level, "parent": parent, "measure": measure}).mappings()
    return [{**r, "n": suppress(r["n"], scope), "surveyed": suppress(r["surveyed"], scope),
             "share": share(r["n"], r["surveyed"], scope)} for r in rows]


def measure_options(conn: Connection) -> list[dict]:
    """Measures the map can show: poor, target poor and one per dimension."""
    dims = conn.execute(text("SELECT code, name_th, name_en FROM dimension ORDER BY sort"))
    out = [{"measure": "poor", "name_th": "ครัวเรือนยากจน (เกณฑ์ TPMAP)",
            "name_en": "Poor households (TPMAP rule)"},
           {"measure": "target_poor", "name_th": "คนจนเป้าหมาย (ถือบัตรสวัสดิการแห่งรัฐ)",
            "name_en": "Target poor (welfare card holders)"}]
    out += [{"measure": f"dim:{code}", "name_th": f"ขาดแคลนด้าน{th}",
             "name_en": f"Deprived in {en.lower()}"} for code, th, en in dims]
    return out


# ── the planner's inputs (aggregates only) ───────────────────────────────────
@dataclass
class PlannerInputs:
    demand_lon: np.ndarray
    demand_lat: np.ndarray
    demand_poor: np.ndarray  # poor households per demand cell, beyond the distance
    site_pcode: list[str]
    site_lon: np.ndarray
    site_lat: np.ndarray
    site_names: list[tuple[str, str]]  # (Thai, English) tambon names
    site_parent: list[tuple[str, str]]  # district names
    site_has_centre: np.ndarray  # open or planned centre in the tambon
    poor_located: int  # poor located households in the area
    poor_within: int  # … already within the distance of an open centre


def planner_inputs(conn: Connection, scope: Scope, round_id: int, distance_km: int,
                   area: str = "TH", only_without_centre: bool = False) -> PlannerInputs:
    """Demand cells (poor households beyond `distance_km` of every open centre, inside
    `area`) and candidate sites (tambon populated centroids inside `area`; with
    `only_without_centre`, tambons with no open or planned centre). The cells' counts
    feed the optimiser whole; what a page shows of its result it suppresses for the
    scope (pages/centres.py)."""
    d = int(distance_km)
    demand = conn.execute(text("""
        SELECT sum(poor * lon) / sum(poor), sum(poor * lat) / sum(poor), sum(poor)
        FROM agg_centre_demand
        WHERE round_id = :r AND band >= :d AND starts_with(tambon_pcode, :area)
        GROUP BY cx, cy
        ORDER BY cx, cy
    """), {"r": round_id, "d": d, "area": area}).all()
    sites = conn.execute(text("""
        SELECT t.tambon_pcode, ST_X(t.centroid), ST_Y(t.centroid), a.name_th, a.name_en,
               p.name_th, p.name_en, (t.open_centres + t.planned_centres) > 0
        FROM tambon_coverage t
        JOIN area a ON a.pcode = t.tambon_pcode
        LEFT JOIN area p ON p.pcode = a.parent_pcode
        WHERE starts_with(t.tambon_pcode, :area)
          AND (NOT :only_without OR (t.open_centres = 0 AND t.planned_centres = 0))
        ORDER BY t.tambon_pcode
    """), {"area": area, "only_without": only_without_centre}).all()
    base = conn.execute(text("""
        SELECT coalesce(sum(poor), 0), coalesce(sum(poor) FILTER (WHERE band < :d), 0)
        FROM agg_centre_distance WHERE round_id = :r AND level = :level AND pcode = :area
    """), {"r": round_id, "d": d, "level": pcode_level(area), "area": area}).one()
    dem = np.array(demand, dtype=float).reshape(-1, 3)
    return PlannerInputs(
        demand_lon=dem[:, 0], demand_lat=dem[:, 1], demand_poor=dem[:, 2].astype(np.int64),
        site_pcode=[s[0] for s in sites],
        site_lon=np.array([s[1] for s in sites], dtype=float),
        site_lat=np.array([s[2] for s in sites], dtype=float),
        site_names=[(s[3], s[4]) for s in sites],
        site_parent=[(s[5] or "", s[6] or "") for s in sites],
        site_has_centre=np.array([bool(s[7]) for s in sites], dtype=bool),
        poor_located=int(base[0]), poor_within=int(base[1]),
    )


# ── household lists (personal data: record roles, through row-level security) ─
def households_newly_covered(conn: Connection, scope: Scope, round_id: int,
                             site: tuple[float, float], earlier: Sequence[tuple[float, float]],
                             distance_km: int, limit: int = 500) -> list[dict]:
    """Poor households of the round that a new centre at `site` (lon, lat) would bring
    within `distance_km`: now farther than that from every open centre (or with none),
    and not already brought within it by the `earlier` suggested sites. Run it on a
    scoped() connection: row-level security limits the rows to the user's areas.
    Audited (a list of households is a read of personal data)."""
    if not scope.may_see_records:
        raise PermissionError("household lists are for province, district and tambon officers")
    d_m = int(distance_km) * 1000.0
    params = {"r": round_id, "lon": site[0], "lat": site[1], "d": d_m,
              "elon": [float(p[0]) for p in earlier], "elat": [float(p[1]) for p in earlier],
              "limit": limit}
    rows = conn.execute(text(sql("centres/site_households")), params).mappings().all()
    record(conn, scope, "household_list", target=f"centre-site:{site[0]:.5f},{site[1]:.5f}",
           details={"round_id": round_id, "distance_km": distance_km, "rows": len(rows)},
           rows=len(rows))
    return [dict(r) for r in rows]


# ── centre import ────────────────────────────────────────────────────────────
# A centre must lie in its tambon; boundaries are simplified, so allow this margin.
TAMBON_TOLERANCE_M = 2000


def tambon_pcodes(conn: Connection) -> frozenset[str]:
    return frozenset(conn.execute(text("SELECT pcode FROM area WHERE level = 3")).scalars())


@dataclass
class CentreImportResult:
    loaded: bool
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list = field(default_factory=list)  # chipao.domain.centres.CentreReject
    refresh: CoverageRefresh | None = None
    refused: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.loaded and not self.refused

    @property
    def rejected_rows(self) -> int:
        return len({r.line for r in self.rejects})

    def summary(self) -> str:
        if self.refused:
            return f"refused: {self.refused}"
        if not self.loaded:
            return (f"nothing loaded: {self.rejected_rows:,} of {self.rows_read:,} rows "
                    "rejected (all-or-nothing; --accept-partial loads the good rows)")
        text_ = (f"centres: {self.inserted:,} new, {self.updated:,} updated, "
                 f"{self.unchanged:,} unchanged")
        if self.rejects:
            text_ += f"; {self.rejected_rows:,} rows rejected"
        if self.refresh:
            text_ += f"; coverage refreshed ({self.refresh.summary()})"
        return text_ + f" in {self.seconds:.1f} s"


def import_centres(conn: Connection, parsed, accept_partial: bool = False,
                   refresh: bool = True, progress=None) -> CentreImportResult:
    """Load the good rows of a parsed centre file (chipao.domain.centres.ParsedCentres) in
    the caller's transaction: checks that each point lies in (or within 2 km of) its
    tambon, upserts by code (importing the same file twice changes nothing) and, when
    anything changed, refreshes the coverage figures. All-or-nothing by default: any
    rejected row means nothing is written."""
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    result = CentreImportResult(loaded=False, rows_read=parsed.rows_read,
                                rejects=list(parsed.rejects))
    rows = parsed.rows
    if rows:
        conn.execute(text("""
            DROP TABLE IF EXISTS pg_temp.centre_stage;
            CREATE TEMP TABLE centre_stage (
                line integer, code text, name_th text, name_en text, tambon_pcode text,
                lon float8, lat float8, opened_on date, status text, services text[]
            ) ON COMMIT DROP
        """))
        conn.execute(text("""
            INSERT INTO centre_stage
            SELECT r.line, r.code, r.name_th, r.name_en, r.tambon_pcode, r.lon, r.lat,
                   r.opened_on, r.status,
                   CAST(string_to_array(nullif(r.services, ''), E'\\x1f') AS text[])
            FROM unnest(CAST(:line AS int[]), CAST(:code AS text[]), CAST(:th AS text[]),
                        CAST(:en AS text[]), CAST(:tambon AS text[]), CAST(:lon AS float8[]),
                        CAST(:lat AS float8[]), CAST(:opened AS date[]),
                        CAST(:status AS text[]), CAST(:services AS text[]))
                 AS r(line, code, name_th, name_en, tambon_pcode, lon, lat, opened_on,
                      status, services)
        """), {
            "line": [r.line for r in rows], "code": [r.code for r in rows],
            "th": [r.name_th for r in rows], "en": [r.name_en for r in rows],
            "tambon": [r.tambon_pcode for r in rows], "lon": [r.lon for r in rows],
            "lat": [r.lat for r in rows], "opened": [r.opened_on for r in rows],
            "status": [r.status for r in rows],
            "services": ["\x1f".join(r.services) for r in rows],
        })
        say("checking locations against tambon boundaries")
        outside = conn.execute(text("""
            SELECT s.line, s.code, s.tambon_pcode,
                   ST_Distance(a.geom::geography,
                               ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)::geography) AS m,
                   (SELECT t.pcode FROM area t
                    WHERE t.level = 3
                      AND ST_Intersects(t.geom, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326))
                    LIMIT 1) AS inside
            FROM centre_stage s JOIN area a ON a.pcode = s.tambon_pcode
            WHERE NOT ST_DWithin(a.geom::geography,
                                 ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)::geography,
                                 :tol)
            ORDER BY s.line
        """), {"tol": TAMBON_TOLERANCE_M}).all()
        for line, code, tambon, metres, inside in outside:
            hint = f"; the point is in tambon {inside}" if inside else ""
            result.rejects.append(CentreReject(
                line, code, "lat", f"location is {metres / 1000:.1f} km outside tambon "
                                   f"{tambon} (พิกัดไม่อยู่ในตำบล){hint}"))
        if outside:
            conn.execute(text("DELETE FROM centre_stage WHERE line = ANY(:lines)"),
                         {"lines": [o[0] for o in outside]})
        result.rejects.sort(key=lambda r: (r.line, r.column))
    if result.rejects and not accept_partial:
        result.seconds = time.perf_counter() - started
        return result
    if rows:
        say("saving centres")
        counts = conn.execute(text(sql("centres/upsert"))).one()
        result.inserted, result.updated = int(counts[0]), int(counts[1])
        staged = conn.execute(text("SELECT count(*) FROM centre_stage")).scalar_one()
        result.unchanged = int(staged) - result.inserted - result.updated
    result.loaded = True
    if refresh and (result.inserted or result.updated):
        say("refreshing coverage")
        result.refresh = refresh_coverage(conn)
    result.seconds = time.perf_counter() - started
    return result
