"""Centre coverage on a real PostGIS: nearest-centre distances against an independent
geodesic computation, the certified KNN search where degrees mislead, coverage and gap
figures against direct SQL, the planner's inputs, household lists under row-level
security, and the centre CSV import with its reject report."""

from __future__ import annotations

import codecs
import datetime as dt
from contextlib import contextmanager

import numpy as np
import pytest
from pyproj import Geod
from sqlalchemy import text

from chipao.domain.centres import CentreFileError, ParsedCentres
from chipao.domain.coverage_planner import great_circle_m
from chipao.domain.scope import SYSTEM, Role, Scope
from chipao.ingest import centre_csv
from queries import centres as q
from queries.db import owner, owner_engine, scoped
from tests import factory as fx

GEOD = Geod(ellps="WGS84")


@contextmanager
def rolled_back():
    """An owner transaction that is always rolled back (tests that change the store)."""
    with owner_engine().connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        finally:
            trans.rollback()
EXECUTIVE = Scope("exec", Role.EXECUTIVE)


@pytest.fixture(scope="module")
def store(database):
    with fx.centres_store() as info:
        yield info


def _open_centres(conn) -> list[tuple[int, float, float]]:
    return [tuple(r) for r in conn.execute(text(
        "SELECT centre_id, ST_X(location), ST_Y(location) FROM centre WHERE status = 'open' "
        "ORDER BY centre_id"))]


def _brute_force(lon: np.ndarray, lat: np.ndarray, centres) -> tuple[np.ndarray, np.ndarray]:
    """Nearest open centre by the WGS84 geodesic (pyproj), over every centre."""
    dist = np.empty((len(lon), len(centres)))
    for j, (_cid, cx, cy) in enumerate(centres):
        _, _, dist[:, j] = GEOD.inv(lon, lat, np.full(len(lon), cx), np.full(len(lon), cy))
    best = dist.argmin(axis=1)
    return np.array([centres[j][0] for j in best]), dist.min(axis=1)


# ── nearest centre ───────────────────────────────────────────────────────────
def test_every_located_household_has_its_nearest_open_centre(store):
    with owner() as conn:
        rows = conn.execute(text("""
            SELECT h.house_id, ST_X(h.location), ST_Y(h.location), n.centre_id, n.distance_m,
                   n.tambon_pcode = h.tambon_pcode
            FROM household h LEFT JOIN household_nearest_centre n USING (house_id)
            WHERE h.location IS NOT NULL ORDER BY h.house_id
        """)).all()
        centres = _open_centres(conn)
        unlocated = conn.execute(text(
            "SELECT count(*) FROM household h JOIN household_nearest_centre n USING (house_id) "
            "WHERE h.location IS NULL")).scalar_one()
    assert unlocated == 0
    assert len(rows) > 1000 and all(r[3] is not None and r[5] for r in rows)
    lon = np.array([r[1] for r in rows])
    lat = np.array([r[2] for r in rows])
    want_id, want_m = _brute_force(lon, lat, centres)
    got_id = np.array([r[3] for r in rows])
    got_m = np.array([r[4] for r in rows], dtype=float)
    assert (got_id == want_id).all()
    # stored as real: 7 significant digits; the brief asks for 1 %
    np.testing.assert_allclose(got_m, want_m, rtol=1e-5)
    # and a plain haversine (sphere) agrees within 1 %
    where = {c[0]: (c[1], c[2]) for c in centres}
    clon = np.array([where[c][0] for c in got_id])
    clat = np.array([where[c][1] for c in got_id])
    np.testing.assert_allclose(got_m, great_circle_m(lon, lat, clon, clat), rtol=0.01)


def test_degrees_mislead_but_the_search_stays_exact(store):
    """At 20.5° N a degree of longitude is 6.5 % shorter than one of latitude: three
    centres 0.097° north or south are nearer *in degrees* than one 0.1° east, but
    farther in metres. Plain KNN (LIMIT 1, or the three nearest by degrees) gets it
    wrong; the certified search does not, and says it needed the exact search."""
    x, y = 100.5, 20.5
    fake = [("F-east", (x + 0.100, y)), ("F-n1", (x, y + 0.097)), ("F-s1", (x, y - 0.097)),
            ("F-n2", (x + 0.004, y + 0.0972))]
    with rolled_back() as conn:
        # Rows the centre importer would refuse (far outside their tambon): this test is
        # about the search over raw points, so it writes them directly.
        for code, (cx, cy) in fake:
            conn.execute(text("""
                INSERT INTO centre (code, name_th, tambon_pcode, location, status)
                VALUES (:c, :c, 'TH500101', ST_SetSRID(ST_MakePoint(:x, :y), 4326), 'open')
            """), {"c": code, "x": cx, "y": cy})
        ids = dict(conn.execute(text("SELECT code, centre_id FROM centre WHERE code LIKE 'F-%'")).all())
        knn3 = conn.execute(text("""
            SELECT code FROM centre WHERE status = 'open'
            ORDER BY location <-> ST_SetSRID(ST_MakePoint(:x, :y), 4326) LIMIT 3
        """), {"x": x, "y": y}).scalars().all()
        [found] = q.nearest_open_centre(conn, [(x, y)])
        # a household in the box where the first KNN answer is already certain
        [easy] = q.nearest_open_centre(conn, [(100.05, 14.051)])
    assert "F-east" not in knn3  # the nearest by metres is not among the 3 nearest by degrees
    _, _, east_m = GEOD.inv(x, y, x + 0.1, y)
    _, _, north_m = GEOD.inv(x, y, x, y + 0.097)
    assert east_m < north_m
    assert found["centre_id"] == ids["F-east"] and found["exact_search"]
    assert found["distance_m"] == pytest.approx(east_m, rel=1e-9)
    assert not easy["exact_search"]


def test_no_open_centre_means_no_nearest(store):
    with rolled_back() as conn:
        conn.execute(text("UPDATE centre SET status = 'closed'"))
        assert q.nearest_open_centre(conn, [(100.1, 14.1)]) == [None]
        result = q.refresh_coverage(conn)
        assert result.households == 0 and result.located > 0
        band = conn.execute(text(
            "SELECT DISTINCT band FROM agg_centre_distance")).scalars().all()
    assert band == [q.NO_CENTRE_BAND]


def test_tambon_centroids_and_their_nearest_centre(store):
    with owner() as conn:
        rows = conn.execute(text("""
            SELECT t.tambon_pcode, t.populated, t.located, ST_X(t.centroid), ST_Y(t.centroid),
                   t.centre_id, t.distance_m, t.open_centres, t.planned_centres,
                   (SELECT avg(ST_X(location)) FROM household h
                    WHERE h.tambon_pcode = t.tambon_pcode AND location IS NOT NULL),
                   (SELECT avg(ST_Y(location)) FROM household h
                    WHERE h.tambon_pcode = t.tambon_pcode AND location IS NOT NULL),
                   ST_X(a.label_point), ST_Y(a.label_point)
            FROM tambon_coverage t JOIN area a ON a.pcode = t.tambon_pcode
            ORDER BY 1
        """)).all()
        centres = _open_centres(conn)
    assert [r[0] for r in rows] == sorted(fx_tambons())
    by = {r[0]: r for r in rows}
    assert not by["TH770101"][1] and by["TH770101"][2] == 0  # no households: label point
    assert by["TH770101"][3:5] == pytest.approx(by["TH770101"][11:13])
    for r in rows:
        if r[2] >= q.MIN_CENTROID_HOUSEHOLDS:
            assert r[1] and r[3] == pytest.approx(r[9]) and r[4] == pytest.approx(r[10])
    want_id, want_m = _brute_force(np.array([r[3] for r in rows]),
                                   np.array([r[4] for r in rows]), centres)
    assert [r[5] for r in rows] == want_id.tolist()
    np.testing.assert_allclose([r[6] for r in rows], want_m, rtol=1e-5)
    assert by["TH500101"][7] == 1 and by["TH500201"][8] == 1 and by["TH500202"][7] == 0


def fx_tambons() -> list[str]:
    return [f"{d}{k:02d}" for p in fx.CENTRES_LAYOUT.values() for d, n in p.items()
            for k in range(1, n + 1)]


# ── coverage and gaps against SQL ────────────────────────────────────────────
DIRECT = """
    SELECT count(*) FILTER (WHERE n.distance_m < :d * 1000) AS within,
           count(*) FILTER (WHERE n.distance_m IS NULL OR n.distance_m >= :d * 1000) AS beyond,
           count(*) AS poor,
           coalesce(sum(n.distance_m / 1000 - :d) FILTER (WHERE n.distance_m >= :d * 1000), 0)
               AS gap_km,
           avg(n.distance_m / 1000) AS mean_km
    FROM household_round r JOIN household h USING (house_id)
    LEFT JOIN household_nearest_centre n USING (house_id)
    WHERE r.round_id = :r AND r.dims_failed <> 0 AND h.location IS NOT NULL
      AND starts_with(h.tambon_pcode, :area)
"""


@pytest.mark.parametrize("area", ["TH", "TH50", "TH5002", "TH500103", "TH40"])
@pytest.mark.parametrize("d", [1, 5, 10, 18, 50])
def test_coverage_equals_sql(store, area, d):
    with owner() as conn:
        want = conn.execute(text(DIRECT), {"r": 2, "d": d, "area": area}).mappings().one()
        got = q.coverage_summary(conn, SYSTEM, 2, area, d)
    assert got["poor"] == want["poor"] > 0
    assert got["poor_within"] == want["within"]
    assert got["poor_beyond"] == want["beyond"]
    assert got["share_within"] == pytest.approx(want["within"] / want["poor"])
    assert got["gap_km"] == pytest.approx(float(want["gap_km"]), rel=1e-5, abs=1e-3)
    assert got["mean_km"] == pytest.approx(float(want["mean_km"]), rel=1e-5)


def test_gap_ranking_equals_sql(store):
    d = 10
    with owner() as conn:
        got = q.coverage_by_area(conn, SYSTEM, 2, 3, "TH", d, sort="beyond")
        want = {}
        for pcode in fx_tambons():
            want[pcode] = conn.execute(text(DIRECT), {"r": 2, "d": d, "area": pcode}).mappings().one()
        gaps = q.coverage_by_area(conn, SYSTEM, 2, 2, "TH", d, sort="gap")
        with pytest.raises(ValueError):
            q.coverage_by_area(conn, SYSTEM, 2, 3, "TH", d, sort="name; DROP TABLE centre")
    keys = [(-r["poor_beyond"], -r["gap_km"], r["pcode"]) for r in got[:-1]]
    assert keys == sorted(keys) and len(got) == len(want)
    assert got[-1]["pcode"] == "TH770101" and got[-1]["gap_km"] is None  # no households
    for r in got:
        assert r["poor_beyond"] == want[r["pcode"]]["beyond"]
        assert r["rank"] == got.index(r) + 1
    gap_km = [r["gap_km"] for r in gaps if r["gap_km"] is not None]
    assert gap_km == sorted(gap_km, reverse=True) and gaps[-1]["pcode"] == "TH7701"


def test_network_counts(store):
    with owner() as conn:
        national = q.network_counts(conn, SYSTEM, "TH")
        province = q.network_counts(conn, SYSTEM, "TH50")
        missing = q.provinces_without_centre(conn, SYSTEM)
    assert national["tambons"] == 8 and national["tambons_open"] == 2
    assert national["tambons_without"] == 6 and national["tambons_planned_only"] == 1
    assert national["provinces"] == 3 and national["provinces_open"] == 1
    assert national["province_target"] == 76
    assert [p["pcode"] for p in missing] == ["TH40", "TH77"]
    assert province["open_centres"] == 2 and province["planned_centres"] == 1


def test_list_centres_filters(store):
    with owner() as conn:
        every = q.list_centres(conn, SYSTEM, "TH")
        open_ = q.list_centres(conn, SYSTEM, "TH", ["open"])
        elderly = q.list_centres(conn, SYSTEM, "TH", None, ["elderly_care"])
        district = q.list_centres(conn, SYSTEM, "TH5002")
        services = q.service_names(conn)
    assert len(every) == 4 and {c["code"] for c in open_} == {"C-500101", "C-500103"}
    assert [c["code"] for c in elderly] == ["C-500103"]
    assert {c["code"] for c in district} == {"C-500201", "C-500202"}
    assert "counselling" in services and every[0]["tambon_th"]


def test_coverage_is_readable_by_the_app_role(store):
    """Aggregates carry no personal data: an executive (no household rows) reads them."""
    with scoped(EXECUTIVE) as conn:
        assert conn.execute(text("SELECT count(*) FROM household")).scalar_one() == 0
        summary = q.coverage_summary(conn, EXECUTIVE, 2, "TH", 10)
        inputs = q.planner_inputs(conn, SYSTEM, 2, 10)
    assert summary["poor"] > 0 and len(inputs.site_pcode) == 8


# ── the planner's inputs ─────────────────────────────────────────────────────
def test_planner_inputs_hold_the_uncovered_poor(store):
    with owner() as conn:
        for area, d in (("TH", 5), ("TH", 12), ("TH50", 8)):
            inputs = q.planner_inputs(conn, SYSTEM, 2, d, area)
            want = conn.execute(text(DIRECT), {"r": 2, "d": d, "area": area}).mappings().one()
            assert int(inputs.demand_poor.sum()) == want["beyond"]
            assert inputs.poor_located == want["poor"] and inputs.poor_within == want["within"]
            assert (inputs.demand_poor > 0).all()
        without = q.planner_inputs(conn, SYSTEM, 2, 10, only_without_centre=True)
    assert set(without.site_pcode) == set(fx_tambons()) - {"TH500101", "TH500103", "TH500201"}
    assert not without.site_has_centre.any()


# ── household lists: personal data, row-level security ───────────────────────
def test_household_list_is_scoped_and_exact(store):
    site, d = (100.15, 14.25), 6  # in TH400102, far from the open centres
    officer = Scope("officer", Role.DISTRICT, ("TH4001",))
    other = Scope("other", Role.TAMBON, ("TH500101",))
    with scoped(officer) as conn:
        rows = q.households_newly_covered(conn, officer, 2, site, [], d)
    with scoped(other) as conn:
        none = q.households_newly_covered(conn, other, 2, site, [], d)
    with scoped(EXECUTIVE) as conn, pytest.raises(PermissionError):
        q.households_newly_covered(conn, EXECUTIVE, 2, site, [], d)
    with owner() as conn:
        want = conn.execute(text("""
            SELECT h.house_id, ST_X(h.location), ST_Y(h.location), n.distance_m
            FROM household h JOIN household_round r USING (house_id)
            LEFT JOIN household_nearest_centre n USING (house_id)
            WHERE r.round_id = 2 AND r.dims_failed <> 0 AND starts_with(h.tambon_pcode, 'TH4001')
              AND h.location IS NOT NULL
        """)).all()
        logged = conn.execute(text(
            "SELECT count(*) FROM audit_log WHERE action = 'household_list'")).scalar_one()
    expected = set()
    for house, x, y, nearest in want:
        _, _, m = GEOD.inv(x, y, *site)
        if m < d * 1000 and (nearest is None or nearest >= d * 1000):
            expected.add(house)
    assert expected and {r["house_id"] for r in rows} == expected
    assert all(r["tambon_pcode"].startswith("TH4001") for r in rows)
    assert none == []
    assert logged >= 2


# ── centre CSV import ────────────────────────────────────────────────────────
HEADER = "code,name_th,name_en,tambon_pcode,lat,lon,opened_on,status,services\n"


def _write(tmp_path, body: str, name: str = "centres.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(body.encode(encoding))
    return str(path)


def _parse(path: str) -> ParsedCentres:
    return centre_csv.read_centre_csv(path, fx_tambons(), today=dt.date(2025, 1, 1))


def test_good_file_loads_then_changes_nothing_and_refreshes_coverage(store, tmp_path):
    body = HEADER + (
        "N-1,ศูนย์ใหม่หนึ่ง,New one,TH400102,14.25,100.15,2566-03-01,เปิด,counselling; elderly care\n"
        "N-2,ศูนย์ใหม่สอง,,400101,14.22,100.05,,planned,\n")
    path = _write(tmp_path, body)
    with rolled_back() as conn:
        parsed = _parse(path)
        assert not parsed.rejects and len(parsed.rows) == 2
        assert parsed.rows[0].opened_on == dt.date(2023, 3, 1)  # B.E. 2566
        assert parsed.rows[0].services == ("counselling", "elderly care")
        assert parsed.rows[1].tambon_pcode == "TH400101" and parsed.rows[1].name_en is None
        before = q.coverage_summary(conn, SYSTEM, 2, "TH40", 5)
        first = q.import_centres(conn, parsed)
        after = q.coverage_summary(conn, SYSTEM, 2, "TH40", 5)
        again = q.import_centres(conn, _parse(path))
    assert first.ok and (first.inserted, first.updated) == (2, 0) and first.refresh
    assert after["poor_within"] > before["poor_within"]  # the new open centre reaches TH40
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2) and again.refresh is None


BAD_ROWS = [
    ("X-1,ศูนย์,,TH999999,14.2,100.1,,open,", "tambon_pcode", "unknown tambon P-code"),
    ("X-2,ศูนย์,,TH500101,abc,100.1,,open,", "lat", "not a number"),
    ("X-3,ศูนย์,,TH500101,100.05,14.05,,open,", "lat", "look swapped"),
    ("X-4,ศูนย์,,TH500101,35.0,100.05,,open,", "lat", "outside Thailand"),
    ("X-5,,,TH500101,14.05,100.05,,open,", "name_th", "name_th is missing"),
    ("X-6,ศูนย์,,TH500101,14.05,100.05,,maybe,", "status", "status must be"),
    ("X-7,ศูนย์,,TH500101,14.05,100.05,2030-01-01,open,", "opened_on", "future"),
    ("X-8,ศูนย์,,TH500101,14.05,100.05,31/02/2566,open,", "opened_on", "not a date"),
    ("bad code!,ศูนย์,,TH500101,14.05,100.05,,open,", "code", "code must be"),
    ("X-9,ศูนย์,,TH500101,,100.05,,open,", "lat", "lat is missing"),
    ("X-10,ศูนย์,TH500101,14.05,100.05,,open,", "", "wrong number of fields"),
]


def test_bad_rows_are_rejected_with_line_and_reason(store, tmp_path):
    good = "G-1,ศูนย์ดี,Good,TH500102,14.05,100.15,2020-01-01,open,counselling\n"
    body = HEADER + good + "\n".join(r for r, _, _ in BAD_ROWS) + "\n" + good.replace("Good", "Dup")
    parsed = _parse(_write(tmp_path, body))
    by_line = {}
    for r in parsed.rejects:
        by_line.setdefault(r.line, []).append(r)
    for n, (_row, column, words) in enumerate(BAD_ROWS, start=3):
        assert n in by_line, f"line {n} not rejected"
        assert any(r.column == column and words in r.reason for r in by_line[n]), by_line[n]
    dup_line = 3 + len(BAD_ROWS)
    assert any("duplicate of line 2" in r.reason for r in by_line[dup_line])
    assert [r.code for r in parsed.rows] == ["G-1"]
    with rolled_back() as conn:
        count = conn.execute(text("SELECT count(*) FROM centre")).scalar_one()
        result = q.import_centres(conn, parsed)  # all-or-nothing: nothing written
        assert not result.loaded and result.rejected_rows == len(BAD_ROWS) + 1
        assert conn.execute(text("SELECT count(*) FROM centre")).scalar_one() == count
        partial = q.import_centres(conn, _parse(_write(tmp_path, body)), accept_partial=True,
                                   refresh=False)
        assert partial.loaded and partial.inserted == 1
    report = centre_csv.write_reject_report(parsed.rejects, tmp_path / "rejects.csv")
    data = report.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and b"unknown tambon P-code" in data


def test_a_point_outside_its_tambon_is_rejected_by_the_store(store, tmp_path):
    # inside Thailand and a known tambon, but 25 km from it (in TH400101)
    body = HEADER + "O-1,ศูนย์ผิดที่,,TH500101,14.25,100.05,,open,\n"
    with rolled_back() as conn:
        result = q.import_centres(conn, _parse(_write(tmp_path, body)))
    assert not result.loaded
    [reject] = result.rejects
    assert reject.line == 2 and "km outside tambon TH500101" in reject.reason
    assert "TH400101" in reject.reason


def test_tis620_file_and_whole_file_refusals(store, tmp_path):
    body = HEADER + "T-1,ศูนย์ช่วยเหลือสังคมตำบลทดสอบ,,TH500102,14.05,100.15,1/6/2565,เปิด,ให้คำปรึกษา\n"
    parsed = _parse(_write(tmp_path, body, "tis.csv", encoding="cp874"))
    assert parsed.encoding.startswith("TIS-620") and not parsed.rejects
    assert parsed.rows[0].name_th == "ศูนย์ช่วยเหลือสังคมตำบลทดสอบ"
    assert parsed.rows[0].opened_on == dt.date(2022, 6, 1) and parsed.rows[0].status == "open"
    with pytest.raises(CentreFileError, match="lon"):
        _parse(_write(tmp_path, "code,name_th,tambon_pcode,lat\nA,B,TH500101,14\n", "nolon.csv"))
    with pytest.raises(CentreFileError, match="empty"):
        _parse(_write(tmp_path, "", "empty.csv"))
    with pytest.raises(CentreFileError):
        _parse(_write(tmp_path, "code,code,name_th,tambon_pcode,lat,lon\n", "twice.csv"))


def test_cli_import_writes_the_report(store, tmp_path, capsys):
    from chipao.cli.main import main

    path = _write(tmp_path, HEADER + BAD_ROWS[0][0] + "\n", "cli.csv")
    assert main(["import-centres", path]) == 1
    report = tmp_path / "cli.rejects.csv"
    assert report.exists() and "TH999999" in report.read_text(encoding="utf-8-sig")
