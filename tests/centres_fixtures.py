"""A small store for the centre tests: square test areas, households with locations
(a few without), two survey rounds of results and a handful of centres, inserted as
the owner, then every aggregate rebuilt (which runs the coverage refresh).
Deterministic (numpy, seeded)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sqlalchemy import Connection, text

# 0.1° squares from (100.0, 14.0): TH5001 is the first row, TH5002 the second, …
# TH40 has no centre at all (one of the provinces the 76-province target is about);
# TH77 has boundaries but no households.
LAYOUT = {"TH50": {"TH5001": 3, "TH5002": 2}, "TH40": {"TH4001": 2}, "TH77": {"TH7701": 1}}
SIZE = 0.1
ROUNDS = ((1, 2565), (2, 2566))
HOUSEHOLDS = 1200
SEED = 5
# code, tambon, (lon, lat), status, services
CENTRES = (
    ("C-500101", "TH500101", (100.05, 14.05), "open", ["counselling", "welfare_registration"]),
    ("C-500103", "TH500103", (100.25, 14.02), "open", ["counselling", "elderly_care"]),
    ("C-500201", "TH500201", (100.04, 14.16), "planned", ["counselling"]),
    ("C-500202", "TH500202", (100.15, 14.15), "closed", ["disability_support"]),
)


def _households(tambons: list[str], origin: dict[str, tuple[float, float]],
                rng: np.random.Generator):
    idx = rng.integers(0, len(tambons), HOUSEHOLDS)
    x0 = np.array([origin[tambons[i]][0] for i in idx])
    y0 = np.array([origin[tambons[i]][1] for i in idx])
    lon = x0 + 0.002 + rng.random(HOUSEHOLDS) * (SIZE - 0.004)
    lat = y0 + 0.002 + rng.random(HOUSEHOLDS) * (SIZE - 0.004)
    located = rng.random(HOUSEHOLDS) > 0.05
    return idx, lon, lat, located


def build(conn: Connection) -> dict:
    """Insert everything and rebuild the aggregates; returns what was inserted."""
    from queries import aggregates
    from tests.support_store import insert_test_areas

    rng = np.random.default_rng(SEED)
    tambons = insert_test_areas(conn, LAYOUT, size=SIZE)
    origin = dict(conn.execute(text(
        "SELECT pcode, ARRAY[ST_XMin(geom), ST_YMin(geom)] FROM area WHERE level = 3")).all())
    origin = {k: (float(v[0]), float(v[1])) for k, v in origin.items()}
    surveyed = [t for t in tambons if not t.startswith("TH77")]
    for rid, year in ROUNDS:
        conn.execute(text("INSERT INTO survey_round (round_id, year_be, label_th, label_en) "
                          "VALUES (:r, :y, :th, :en) ON CONFLICT DO NOTHING"),
                     {"r": rid, "y": year, "th": f"รอบ {year}", "en": f"Round {year}"})
    conn.execute(text("INSERT INTO village (tambon_pcode, village_no) "
                      "SELECT t, v FROM unnest(CAST(:t AS text[])) t, generate_series(1, 3) v"),
                 {"t": surveyed})
    idx, lon, lat, located = _households(surveyed, origin, rng)
    houses = [f"C{n:07d}" for n in range(HOUSEHOLDS)]
    conn.execute(text("""
        INSERT INTO household (house_id, tambon_pcode, village_no, location)
        SELECT h, t, v, CASE WHEN loc THEN ST_SetSRID(ST_MakePoint(x, y), 4326) END
        FROM unnest(CAST(:h AS text[]), CAST(:t AS text[]), CAST(:v AS int[]),
                    CAST(:x AS float8[]), CAST(:y AS float8[]), CAST(:loc AS bool[]))
             AS u(h, t, v, x, y, loc)
    """), {"h": houses, "t": [surveyed[i] for i in idx],
           "v": [int(v) for v in 1 + rng.integers(0, 3, HOUSEHOLDS)],
           "x": lon.tolist(), "y": lat.tolist(), "loc": located.tolist()})
    # poverty higher in the second district and in TH40
    base = np.array([0.25 + 0.2 * surveyed[i].startswith("TH5002")
                     + 0.25 * surveyed[i].startswith("TH40") for i in idx])
    for rid, _year in ROUNDS:
        dims = np.where(rng.random(HOUSEHOLDS) < base, 1 + rng.integers(0, 31, HOUSEHOLDS), 0)
        card = rng.random(HOUSEHOLDS) < 0.5
        conn.execute(text("""
            INSERT INTO household_round (house_id, round_id, tambon_pcode, size, welfare_card,
                                         failed, dims_failed, n_dims_failed, score)
            SELECT h, :r, t, 3, c, d, d, (SELECT count(*) FROM generate_series(0, 4) b
                                         WHERE d & (1 << b) <> 0), CASE WHEN d <> 0 THEN 0.2 ELSE 0 END
            FROM unnest(CAST(:h AS text[]), CAST(:t AS text[]), CAST(:d AS int[]),
                        CAST(:c AS bool[])) AS u(h, t, d, c)
        """), {"r": rid, "h": houses, "t": [surveyed[i] for i in idx],
               "d": [int(d) for d in dims], "c": card.tolist()})
    insert_centres(conn, CENTRES)
    aggregates.refresh(conn)
    return {"tambons": tambons, "surveyed": surveyed, "houses": houses}


def insert_centres(conn: Connection, centres) -> None:
    for code, tambon, (x, y), status, services in centres:
        conn.execute(text("""
            INSERT INTO centre (code, name_th, name_en, tambon_pcode, location, opened_on,
                                status, services)
            VALUES (:c, :th, :en, :t, ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                    CASE WHEN :s = 'planned' THEN NULL ELSE DATE '2021-06-01' END, :s, :sv)
        """), {"c": code, "th": f"ศูนย์ทดสอบ {code}", "en": f"Test centre {code}", "t": tambon,
               "x": x, "y": y, "s": status, "sv": services})


@contextmanager
def centres_store() -> Iterator[dict]:
    """A database of its own (tests/support_store.py) holding build()'s data; the
    geometry cache is cleared on the way in and out."""
    from geodata.serve import invalidate_geometry_cache
    from queries.db import owner
    from tests.support_store import isolated_store

    with isolated_store("chipao_centres") as url:
        invalidate_geometry_cache()
        with owner() as conn:
            info = build(conn)
        try:
            yield {**info, "url": url}
        finally:
            invalidate_geometry_cache()
