"""Incremental refresh (queries/rollup.py, aggregates.refresh(tambons)): an import of
households in one tambon rebuilds only that tambon's figures and those of the areas
above it, and the result is exactly what a full rebuild gives. Real PostGIS, the centres
test store (located households in two rounds, open centres); every test rolls back."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, text

from queries import aggregates
from queries.db import owner_engine
from tests import factory

# every table the incremental path rebuilds, in a form two rebuilds can be compared by
# (sums of floats rounded: the order of addition differs between the two)
TABLES = {
    "agg_area_count": "SELECT round_id, level, measure, pcode, households FROM agg_area_count "
                      "ORDER BY 1, 2, 3, 4",
    "agg_area_suppressed": "SELECT round_id, level, measure, pcode, is_primary "
                           "FROM agg_area_suppressed ORDER BY 1, 2, 3, 4",
    "agg_area_score": "SELECT round_id, level, pcode, score, households, ind_fail "
                      "FROM agg_area_score ORDER BY 1, 2, 3, 4",
    "household_nearest_centre": "SELECT house_id, tambon_pcode, centre_id, "
                                "round(distance_m::numeric, 1) FROM household_nearest_centre "
                                "ORDER BY 1",
    "tambon_coverage": "SELECT tambon_pcode, round(ST_X(centroid)::numeric, 6), "
                       "round(ST_Y(centroid)::numeric, 6), populated, located, open_centres, "
                       "planned_centres, centre_id, round(distance_m::numeric, 1) "
                       "FROM tambon_coverage ORDER BY 1",
    "agg_centre_distance": "SELECT round_id, level, pcode, band, located, poor, target_poor, "
                           "round(poor_km::numeric, 3) FROM agg_centre_distance "
                           "ORDER BY 1, 2, 3, 4",
    "agg_centre_demand": "SELECT round_id, tambon_pcode, cx, cy, band, poor, target_poor, "
                         "round(lon::numeric, 6), round(lat::numeric, 6) "
                         "FROM agg_centre_demand ORDER BY 1, 2, 3, 4, 5",
    "agg_plan_area": "SELECT * FROM agg_plan_area ORDER BY round_id, level, pcode",
    "agg_plan_monthly": "SELECT * FROM agg_plan_monthly ORDER BY level, pcode, month",
    "agg_plan_target": "SELECT * FROM agg_plan_target ORDER BY level, pcode",
}


def tables(conn: Connection) -> dict[str, list[tuple]]:
    return {name: [tuple(r) for r in conn.execute(text(q))] for name, q in TABLES.items()}


@pytest.fixture(scope="module")
def store(database) -> Iterator[dict]:
    with factory.centres_store() as built:
        yield built


@pytest.fixture
def conn(store) -> Iterator[Connection]:
    """An owner connection whose transaction is rolled back afterwards, with most
    households programme targets, visits and plans (of the first round) for some of the
    first tambon's (the plan funnel counts them) and the aggregates rebuilt."""
    with owner_engine().connect() as c:
        tx = c.begin()
        try:
            c.execute(text("UPDATE household SET programme_target = right(house_id, 1) < '7'"))
            c.execute(text("""
                INSERT INTO visit (house_id, tambon_pcode, visited_on, visitor_kind, poverty_type)
                SELECT house_id, tambon_pcode, DATE '2023-03-01', 'official', 'chronic'
                FROM household WHERE tambon_pcode = ANY (:t) ORDER BY house_id LIMIT 30
            """), {"t": store["surveyed"][:1]})
            c.execute(text("""
                INSERT INTO household_plan (house_id, tambon_pcode, round_id, created_on)
                SELECT house_id, tambon_pcode, 1, DATE '2022-04-01'
                FROM household WHERE tambon_pcode = ANY (:t) ORDER BY house_id LIMIT 20
            """), {"t": store["surveyed"][:1]})
            aggregates.refresh(c)
            yield c
        finally:
            tx.rollback()


def changed_rows(conn: Connection, tambon: str, years: tuple[int, ...] = (2565, 2566),
                 new: int = 12, seed: int = 3) -> pd.DataFrame:
    """A household file for one tambon: its stored households with other results, some
    poor households out of poverty in the later round, and `new` households, located;
    all of them programme targets."""
    rng = np.random.default_rng(seed)
    stored = conn.execute(text("""
        SELECT house_id, village_no, ST_X(location), ST_Y(location) FROM household
        WHERE tambon_pcode = :t AND location IS NOT NULL ORDER BY house_id LIMIT 40
    """), {"t": tambon}).all()
    lon0, lat0 = np.mean([r[2] for r in stored]), np.mean([r[3] for r in stored])
    houses = [r[0] for r in stored] + [f"N{tambon[2:]}{i:03d}" for i in range(new)]
    villages = [r[1] for r in stored] + [1] * new
    lon = [r[2] for r in stored] + list(lon0 + rng.uniform(-0.01, 0.01, new))
    lat = [r[3] for r in stored] + list(lat0 + rng.uniform(-0.01, 0.01, new))
    specs = factory.catalogue_specs(conn)
    frames = []
    for year in years:
        dims = np.where(rng.random(len(houses)) < 0.6, 1 + rng.integers(0, 31, len(houses)), 0)
        frames.append(pd.DataFrame({
            "house_id": houses, "tambon_pcode": tambon, "village_no": villages,
            "survey_year": year, "household_size": 4, "welfare_card": 1, "lat": lat,
            "lon": lon, "programme_target": 1,
            "failed": factory.failed_bits_for_dims(dims, specs),
            "not_applicable": 0}))
    return pd.concat(frames, ignore_index=True)


def test_one_tambon_imported_rebuilds_it_and_its_parents_as_a_full_rebuild_would(store, conn):
    tambon = store["surveyed"][0]
    before = tables(conn)
    result = factory.import_households(conn, changed_rows(conn, tambon), refresh=True)
    assert result.refreshed_tambons == 1
    assert "figures rebuilt for the 1 tambon touched" in result.summary()
    incremental = tables(conn)
    # the import changed every kind of figure (the suppression pattern may stay)
    for name in set(TABLES) - {"agg_area_suppressed", "agg_plan_monthly"}:
        assert incremental[name] != before[name], name
    # areas elsewhere kept their rows as they were
    other = store["surveyed"][-1]
    assert other[:6] != tambon[:6]
    def of(rows: list[tuple], pcode: str) -> list[tuple]:
        return [r for r in rows if pcode in r]
    assert of(incremental["agg_area_count"], other) == of(before["agg_area_count"], other)
    aggregates.refresh(conn)  # everything, from scratch
    assert tables(conn) == incremental


def test_a_round_older_than_the_stored_ones_rebuilds_everything(store, conn):
    """Every tambon's later round now has a previous round to compare with."""
    tambon = store["surveyed"][1]
    result = factory.import_households(conn, changed_rows(conn, tambon, years=(2564,), new=0),
                                       refresh=True)
    assert result.survey_rounds_created == [2564]
    assert result.refreshed_tambons is None
    after = tables(conn)
    aggregates.refresh(conn)
    assert tables(conn) == after


def test_most_tambons_touched_rebuilds_everything(store, conn):
    rows = pd.concat([changed_rows(conn, t, new=2, seed=i)
                      for i, t in enumerate(store["surveyed"])], ignore_index=True)
    result = factory.import_households(conn, rows, refresh=True)
    assert result.refreshed_tambons is None
    assert aggregates.refresh(conn, store["surveyed"][:1]) == 1  # one of many: incremental
    assert aggregates.refresh(conn, store["surveyed"]) is None
