"""The demo generator: deterministic from the seed, calibrated (regions, indicators,
rounds, welfare card, plans), and loaded through the real importer into a store where
every tambon gets households and the province targets add up to 4,104,450."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from chipao.domain.demo import DemoError, DemoInputs
from chipao.domain.households import Catalogue, IndicatorSpec
from chipao.ingest import demo
from chipao.settings import DATA_DIR
from queries import households_load as hl
from queries.db import owner
from tests.support_store import insert_test_areas, isolated_store

# Provinces chosen for their calibration: Bangkok (low), central TH12, Northeast TH30,
# Mae Hong Son TH58 (high), Pattani TH94 (deep South, high).
LAYOUT = {"TH10": {"TH1001": 3, "TH1002": 2}, "TH12": {"TH1201": 3},
          "TH30": {"TH3001": 4, "TH3002": 2}, "TH58": {"TH5801": 3}, "TH94": {"TH9401": 3}}
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


def memory_inputs(layout=LAYOUT) -> DemoInputs:
    """Generator inputs without a database: 0.1° squares per tambon."""
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


@pytest.fixture(scope="module")
def inputs() -> DemoInputs:
    return memory_inputs()




























# ── loading into a store ─────────────────────────────────────────────────────
@pytest.fixture(scope="module")
def store(database) -> Iterator[str]:
    with isolated_store("chipao_test_demo") as url:
        with owner() as conn:
            insert_test_areas(conn, LAYOUT, origin=(100.0, 14.0), size=0.1)
        yield url


def test_demo_loads_every_tambon_and_targets(store):
    summary = demo.load_demo(households=1_200, seed=5)
    assert summary["households"] == 1_200
    with owner() as conn:
        q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
        assert q("""SELECT a.pcode FROM area a WHERE a.level = 3 AND NOT EXISTS
                    (SELECT 1 FROM household h WHERE h.tambon_pcode = a.pcode)""") == []
        assert q("SELECT count(*), sum(target_households) FROM province_target") == \
            [(len(LAYOUT), demo.PROGRAMME_TARGET)]
        assert q("SELECT bool_and(programme_target), count(*) FROM household") == [(True, 1_200)]
        assert [r[0] for r in q("SELECT year_be FROM survey_round ORDER BY 1")] == \
            [2565, 2566, 2567]
        located = q("SELECT count(location)::float / count(*) FROM household")[0][0]
        assert 0.75 <= located <= 0.95
        assert q("""SELECT count(*) FROM household h JOIN area a ON a.pcode = h.tambon_pcode
                    WHERE h.location IS NOT NULL AND NOT ST_Intersects(a.geom, h.location)""") \
            == [(0,)]
        assert q("""SELECT count(*) FROM centre c JOIN area a ON a.pcode = c.tambon_pcode
                    WHERE NOT ST_Intersects(a.geom, c.location)""") == [(0,)]
        counts = dict(q("""SELECT 'members', count(*) FROM member UNION ALL
                           SELECT 'plans', count(*) FROM household_plan UNION ALL
                           SELECT 'items', count(*) FROM plan_item UNION ALL
                           SELECT 'events', count(*) FROM plan_item_event UNION ALL
                           SELECT 'visits', count(*) FROM visit UNION ALL
                           SELECT 'steps', count(*) FROM area_process_step"""))
        assert counts["members"] == summary["members"] and counts["items"] == summary["items"]
        assert counts["steps"] == 9 * (len(LAYOUT) + sum(len(d) for d in LAYOUT.values()))
        assert min(counts.values()) > 0
        # plan items point at plans of the same household; events at items
        assert q("""SELECT count(*) FROM plan_item i JOIN household_plan p USING (plan_id)
                    WHERE p.house_id <> i.house_id""") == [(0,)]
        assert q("SELECT count(*) FROM plan_item_event e LEFT JOIN plan_item i USING (item_id) "
                 "WHERE i.item_id IS NULL") == [(0,)]
        # the loading lifted FORCE ROW LEVEL SECURITY only for its own transaction
        forced = q("SELECT relname FROM pg_class WHERE relname IN ('household', "
                   "'household_round', 'member', 'visit') AND relforcerowsecurity")
        assert len(forced) == 4
        # the aggregates were rebuilt
        assert q("SELECT households FROM agg_area_count WHERE level = 0 AND measure = "
                 "'surveyed' AND round_id = 65") == [(1_200,)]


def test_demo_refuses_a_filled_store_unless_replace(store):
    with owner() as conn:
        filled = hl.household_data_exists(conn)
        conn.execute(text("INSERT INTO audit_log (username, action) VALUES ('test', 'probe')"))
        audits = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    if not filled:
        demo.load_demo(households=600, seed=5)
    with pytest.raises(DemoError, match="already holds"):
        demo.load_demo(households=600, seed=6)
    summary = demo.load_demo(households=700, seed=6, replace=True)
    assert summary["households"] == 700
    with owner() as conn:
        assert conn.execute(text("SELECT count(*) FROM household")).scalar_one() == 700
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == audits
